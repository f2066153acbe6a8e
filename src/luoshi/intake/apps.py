from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Reading policy documents: cleaning noisy copies and finding their structure."""

    name = "luoshi.intake"
    label = "intake"
    verbose_name = "Policy intake"
    default_auto_field = "django.db.models.BigAutoField"
