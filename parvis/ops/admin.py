from django.contrib import admin

from .models import RecurringTask


@admin.register(RecurringTask)
class RecurringTaskAdmin(admin.ModelAdmin):
    list_display = ("name", "task_path", "every_seconds", "next_run_at", "enabled")
    list_filter = ("enabled",)
    search_fields = ("name", "task_path")
