from django.urls import path

from luoshi.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.start, name="start"),
    path("<uuid:token>/", views.review, name="review"),
    path("<uuid:token>/status/", views.status, name="status"),
    path("<uuid:token>/outline/", views.outline, name="outline"),
    path("<uuid:token>/discard/", views.discard, name="discard"),
    path("<uuid:token>/convert/", views.convert, name="convert"),
]
