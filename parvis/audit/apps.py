from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "parvis.audit"
    label = "audit"
    verbose_name = "Journal d'audit"
