"""Background entry points. They call actions or the dispatcher; they hold no rules of their own."""

from django.core.mail import send_mail
from django.db.models import Q
from django_tasks import task

from parvis.channels.models import Channel
from parvis.domain.roles import Role


@task()
def notify_channel_reconnect(channel_id: int) -> int:
    """Tell the channel's owners (direction and community managers) that it needs reconnecting."""
    channel = Channel.objects.select_related("authority").get(id=channel_id)
    members = channel.authority.memberships.filter(
        Q(role=Role.DIRECTOR) | Q(role=Role.COMMUNITY_MANAGER)
    ).select_related("user")
    recipients = [m.user.email for m in members if m.user.email]
    if not recipients:
        return 0
    send_mail(
        # One line: a handle is text from outside, and a line break would be refused as a header injection.
        subject=" ".join(f"[Parvis] Reconnexion nécessaire : {channel}".split()),
        message=(
            f"La connexion du compte {channel} ({channel.authority}) a expiré.\n"
            "Les publications prévues sont conservées et partiront dès la reconnexion.\n"
            "Ouvrez Parvis > Comptes > Reconnecter."
        ),
        from_email=None,
        recipient_list=recipients,
        fail_silently=True,
    )
    return len(recipients)


@task()
def sweep_deliveries() -> dict:
    from .dispatch import sweep

    return sweep()
