from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "parvis.analytics"
    label = "analytics"
    verbose_name = "Mesures"
