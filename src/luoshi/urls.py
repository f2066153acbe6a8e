from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from luoshi.core.api import api

urlpatterns = [
    path("", include("luoshi.core.urls")),
    path("accounts/", include("luoshi.accounts.urls")),
    path("units/", include("luoshi.orgs.urls")),
    path("audit/", include("luoshi.audit.urls")),
    path("plans/", include("luoshi.plans.urls")),
    path("intake/", include("luoshi.intake.urls")),
    path("indicators/", include("luoshi.indicators.urls")),
    path("pilots/", include("luoshi.pilots.urls")),
    path("library/", include("luoshi.library.urls")),
    path("analytics/", include("luoshi.analytics.urls")),
    path("bulletins/", include("luoshi.bulletins.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", api.urls),
]
