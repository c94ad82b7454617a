from django.apps import AppConfig


class ProvingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "proving"
    verbose_name = "Proof jobs"
