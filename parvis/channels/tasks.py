"""Background entry points for channels: keep tokens alive, warn before the unrenewable ones expire."""

from django.utils import timezone
from django_tasks import task


@task()
def refresh_tokens() -> dict:
    from .connect import refresh_expiring

    return refresh_expiring(timezone.now())


@task()
def send_expiry_alerts() -> int:
    from .connect import expiry_alerts

    return expiry_alerts(timezone.now())
