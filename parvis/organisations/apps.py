from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "parvis.organisations"
    label = "organisations"
    verbose_name = "Collectivités"
