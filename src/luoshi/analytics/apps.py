from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "luoshi.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # Keep the aggregates current: value saves, approvals, finished imports and indicator
        # changes queue an incremental refresh run when the writing transaction commits.
        from luoshi.analytics import signals

        signals.connect()
