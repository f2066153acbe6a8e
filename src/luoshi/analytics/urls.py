from django.urls import path

from luoshi.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("units/<str:code>/", views.unit_page, name="unit"),
    path("compare/", views.compare, name="compare"),
    path("export.xlsx", views.export, name="export"),
]
