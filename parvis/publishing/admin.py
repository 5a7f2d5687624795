"""Admin of publications and their ledger, for the instance's staff.

The workflow (states, approvals, deliveries) only moves through the actions, which check permissions
and write the audit trail: here those rows are read only. What the admin edits: approval rules (no
page for them yet) and a media file's description."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from parvis.domain.approval import ApprovalRuleError, levels_to_json, parse_levels

from .models import (
    ApprovalDecision,
    ApprovalRule,
    Delivery,
    MediaAsset,
    Publication,
    PublicationMedia,
    Variant,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: every field read only, no add, no change, no delete."""

    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + [f.name for f in self.model._meta.many_to_many]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MediaAsset)
class MediaAssetAdmin(admin.ModelAdmin):
    list_display = ("original_name", "authority", "kind", "mime_type", "size_bytes", "width", "height",
                    "has_alt_text", "uploaded_by", "created_at")
    list_filter = ("kind", "has_subtitles", "authority")
    search_fields = ("original_name", "alt_text", "authority__name")
    date_hierarchy = "created_at"
    fields = ("authority", "file", "original_name", "kind", "mime_type", "size_bytes", "width", "height",
              "duration_s", "alt_text", "has_subtitles", "uploaded_by", "created_at")
    # What was probed from the file stays as probed; the description can be completed.
    readonly_fields = ("authority", "file", "original_name", "kind", "mime_type", "size_bytes", "width", "height",
                       "duration_s", "uploaded_by", "created_at")
    list_select_related = ("authority", "uploaded_by")

    @admin.display(boolean=True, description=_("texte alternatif"))
    def has_alt_text(self, obj):
        return bool(obj.alt_text.strip())

    def has_add_permission(self, request):
        return False  # uploads go through the media library, which probes and checks the file


class VariantInline(ReadOnlyInline):
    model = Variant


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ("channel", "state", "due_at", "attempts", "remote_url", "error_message", "published_at")


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ("title", "authority", "status", "schedule_mode", "scheduled_at", "created_by", "updated_at")
    list_filter = ("status", "schedule_mode", "authority")
    search_fields = ("title", "body", "authority__name")
    date_hierarchy = "scheduled_at"
    list_select_related = ("authority", "created_by")
    inlines = [VariantInline, DeliveryInline]
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["media"]

    def has_add_permission(self, request):
        return False  # written in the composer

    def has_change_permission(self, request, obj=None):
        return False  # edits, approvals and cancellations go through the pages (permissions, audit)

    # Deleting stays possible for a draft. A publication with deliveries or decisions cannot be deleted:
    # the admin asks every related model's admin, and those of the ledger and the decisions refuse.


@admin.register(PublicationMedia)
class PublicationMediaAdmin(ReadOnlyAdmin):
    list_display = ("publication", "asset", "position")
    list_filter = ("publication__authority",)
    search_fields = ("publication__title", "asset__original_name")
    list_select_related = ("publication", "asset")

    def has_delete_permission(self, request, obj=None):
        return super(ReadOnlyAdmin, self).has_delete_permission(request, obj)  # goes with its publication


@admin.register(Variant)
class VariantAdmin(ReadOnlyAdmin):
    list_display = ("publication", "channel", "edited", "updated_at")
    list_filter = ("edited", "channel__network", "publication__authority")
    search_fields = ("text", "publication__title", "channel__handle")
    list_select_related = ("publication", "channel")

    def has_delete_permission(self, request, obj=None):
        return super(ReadOnlyAdmin, self).has_delete_permission(request, obj)  # goes with its publication


class ApprovalRuleForm(forms.ModelForm):
    class Meta:
        model = ApprovalRule
        fields = ("authority", "channel", "levels")
        help_texts = {"levels": _('Jusqu\'à 3 niveaux, par exemple [{"roles": ["director"], "users": []}] ; '
                                  '« users » : identifiants des personnes.')}

    def clean_levels(self):
        try:
            return levels_to_json(parse_levels(self.cleaned_data.get("levels")))
        except ApprovalRuleError as exc:
            raise ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        authority, channel = data.get("authority"), data.get("channel")
        if authority and channel and channel.authority_id != authority.pk:
            self.add_error("channel", _("Ce compte appartient à une autre collectivité."))
        return data


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    form = ApprovalRuleForm
    list_display = ("authority", "channel", "level_count")
    list_filter = ("authority",)
    search_fields = ("authority__name", "channel__handle")
    autocomplete_fields = ["authority", "channel"]
    list_select_related = ("authority", "channel")

    @admin.display(description=_("niveaux"))
    def level_count(self, obj):
        return len(obj.levels or [])


@admin.register(ApprovalDecision)
class ApprovalDecisionAdmin(ReadOnlyAdmin):
    list_display = ("publication", "decision", "round", "level", "user", "signer_label", "created_at")
    list_filter = ("decision", "publication__authority")
    search_fields = ("publication__title", "comment", "signer_label", "user__username")
    date_hierarchy = "created_at"
    list_select_related = ("publication", "user")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The ledger: one row per (publication, channel). Retries and checks happen on the publication page."""

    list_display = ("publication", "channel", "authority", "state", "due_at", "attempts", "published_at",
                    "error_code")
    list_filter = ("state", "channel__network", "error_code", "authority")
    search_fields = ("publication__title", "channel__handle", "remote_id", "marker", "error_message")
    date_hierarchy = "due_at"
    list_select_related = ("publication", "channel", "authority")
