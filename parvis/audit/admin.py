"""The audit trail in the admin: read only, like everywhere else (the model and the database refuse
updates and deletions too)."""

from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "authority", "actor_label", "verb", "object_type", "object_id")
    list_filter = ("verb", "object_type", "authority")
    search_fields = ("actor_label", "verb", "object_type", "object_id", "authority__name")
    date_hierarchy = "created_at"
    list_select_related = ("authority",)
    actions = None  # no "delete selected"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
