from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    """Reading policy documents: cleaning noisy copies and finding their structure."""

    name = "luoshi.intake"
    label = "intake"
    verbose_name = _("Policy intake")
    default_auto_field = "django.db.models.BigAutoField"
