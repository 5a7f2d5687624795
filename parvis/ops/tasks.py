from datetime import timedelta

from django.utils import timezone
from django_tasks import task


@task()
def prune_task_results() -> int:
    """Finished task results older than a week are of no use."""
    from django_tasks_db.models import DBTaskResult

    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=timezone.now() - timedelta(days=7)).delete()
    return deleted
