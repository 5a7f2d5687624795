"""Admin of authorities and their teams, for the instance's staff.

Secrets never appear: an API token is stored as its SHA-256 only, and a calendar feed's token is a
bearer URL. Both are issued elsewhere (the `parvis token` command, the iCal page) and revoked here by
deletion."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Authority, CalendarFeed, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "insee_code", "siren", "population", "timezone", "created_at")
    list_filter = ("kind", "timezone")
    search_fields = ("name", "slug", "insee_code", "siren")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "authority", "role", "created_at")
    list_filter = ("role", "authority")
    search_fields = ("user__username", "user__email", "authority__name", "authority__slug")
    autocomplete_fields = ["user", "authority"]
    readonly_fields = ("created_at",)
    list_select_related = ("user", "authority")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_filter = ("created_at", "last_used_at")
    search_fields = ("name", "prefix", "user__username")
    fields = ("user", "name", "prefix", "created_at", "last_used_at")  # never the digest
    readonly_fields = fields
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False  # issued by `parvis token create`, which prints the token once

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("membership", "authority", "created_at")
    list_filter = ("created_at", "membership__authority")
    search_fields = ("membership__user__username", "membership__authority__name")
    fields = ("membership", "created_at")  # never the token: it is the feed's only protection
    readonly_fields = fields
    list_select_related = ("membership__user", "membership__authority")

    @admin.display(description=_("collectivité"), ordering="membership__authority__name")
    def authority(self, obj):
        return obj.membership.authority

    def has_add_permission(self, request):
        return False  # created by each member on the iCal page

    def has_change_permission(self, request, obj=None):
        return False
