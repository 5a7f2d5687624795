from django.db import models


class RecurringTask(models.Model):
    """A row the clock reads: enqueue `task_path` every `every_seconds`."""

    name = models.CharField(max_length=100, unique=True)
    task_path = models.CharField(max_length=200)
    every_seconds = models.PositiveIntegerField()
    next_run_at = models.DateTimeField()
    enabled = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name
