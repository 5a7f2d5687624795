"""Admin of channels. The encrypted credentials are never shown nor editable: only whether there are any."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("handle", "network", "authority", "display_name", "account_kind", "is_sandbox", "status",
                    "has_credentials", "created_at")
    list_filter = ("network", "status", "is_sandbox", "account_kind", "authority")
    search_fields = ("handle", "display_name", "authority__name", "authority__slug")
    exclude = ("credentials",)
    readonly_fields = ("has_credentials", "created_at")
    autocomplete_fields = ["authority"]
    list_select_related = ("authority",)

    @admin.display(boolean=True, description=_("identifiants enregistrés"))
    def has_credentials(self, obj):
        return bool(obj.credentials)
