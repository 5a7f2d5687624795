"""The one writer of the audit trail."""

from .models import AuditEvent


def record(authority, actor, verb: str, obj=None, *, before=None, after=None, actor_label: str = "",
           object_type: str = "", object_id: str = "") -> AuditEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        authority=authority,
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "système"),
        verb=verb,
        object_type=object_type or (type(obj).__name__.lower() if obj is not None else ""),
        object_id=object_id or (str(obj.pk) if obj is not None else ""),
        before=before,
        after=after,
    )


def bulk_record(events: list[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=500)
