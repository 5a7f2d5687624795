from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "parvis.ops"
    label = "ops"
    verbose_name = "Exploitation"
