from django.apps import AppConfig


class DoorsConfig(AppConfig):
    name = "django_doors"
    default_auto_field = "django.db.models.BigAutoField"
