"""Background entry points of the inbox; the clock enqueues the recurring ones (parvis.ops.clock)."""

from django.utils import timezone
from django_tasks import task


@task()
def poll_comments(channel_id: int) -> dict:
    """Read one channel's new comments (bounded number of pages; the cursor keeps the place)."""
    from .ingest import poll_channel

    return poll_channel(channel_id)


@task()
def poll_all_comments() -> int:
    """Enqueue the polling of every active channel whose network gives comments (and is not rate-limited)."""
    from .ingest import channels_to_poll

    ids = channels_to_poll()
    for channel_id in ids:
        poll_comments.enqueue(channel_id)
    return len(ids)


@task()
def send_moderation_alerts() -> int:
    """E-mail the on-duty person about hateful or threatening comments left unhandled too long (once)."""
    from .actions import send_alerts

    return send_alerts(timezone.now())


@task()
def purge_expired_comments() -> dict:
    """Delete comments and authors older than each authority's retention period (audited)."""
    from .actions import purge_expired

    return purge_expired(timezone.now())
