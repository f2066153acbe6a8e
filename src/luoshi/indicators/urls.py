from django.urls import path

from luoshi.indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.indicator_list, name="list"),
    path("datasets/", views.dataset_list, name="datasets"),
    path("reviews/", views.reviews, name="reviews"),
    path("quality/", views.quality, name="quality"),
    path("values/<int:value_id>/follow-up/", views.follow_up, name="follow_up"),
    path("datasets/<str:code>/", views.dataset_detail, name="dataset"),
    path("datasets/<str:code>/import/", views.import_values, name="import"),
    path("datasets/<str:code>/template/", views.template, name="template"),
    path("datasets/<str:code>/<str:unit_code>/<str:period>/", views.entry, name="entry"),
    path("datasets/<str:code>/<str:unit_code>/<str:period>/check/", views.entry_check, name="entry_check"),
    path("datasets/<str:code>/<str:unit_code>/<str:period>/approve/", views.approve, name="approve"),
    path("datasets/<str:code>/<str:unit_code>/<str:period>/return/", views.decide_with_reason, {"decision": "return"}, name="return"),
    path("datasets/<str:code>/<str:unit_code>/<str:period>/unapprove/", views.decide_with_reason, {"decision": "unapprove"},
         name="unapprove"),
    path("<str:code>/", views.indicator_detail, name="detail"),
]
