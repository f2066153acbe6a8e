from django.urls import path

from luoshi.pilots import views

app_name = "pilots"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("export.xlsx", views.programme_export, name="export"),
    path("work/", views.worklist, name="worklist"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<int:programme_id>/", views.programme_detail, name="programme"),
    path("programmes/<int:programme_id>/edit/", views.programme_edit, name="programme_edit"),
    path("programmes/<int:programme_id>/status/", views.programme_status, name="programme_status"),
    path("programmes/<int:programme_id>/apply/", views.application_form, name="apply"),
    path("applications/", views.application_list, name="applications"),
    path("applications/export.xlsx", views.application_export, name="applications_export"),
    path("applications/<int:application_id>/", views.application_detail, name="application"),
    path("applications/<int:application_id>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:application_id>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("applications/<int:application_id>/decide/", views.application_decide, name="application_decide"),
    path("runs/", views.pilot_list, name="pilots"),
    path("runs/export.xlsx", views.pilot_export, name="pilots_export"),
    path("runs/<int:pilot_id>/", views.pilot_detail, name="pilot"),
    path("runs/<int:pilot_id>/edit/", views.pilot_edit, name="pilot_edit"),
    path("runs/<int:pilot_id>/progress/", views.entry_create, name="entry_create"),
    path("runs/<int:pilot_id>/review/", views.review_create, name="review_create"),
    path("entries/<int:entry_id>/answer/", views.entry_answer, name="entry_answer"),
    path("entries/<int:entry_id>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("evidence/<int:evidence_id>/delete/", views.evidence_delete, name="evidence_delete"),
    path("reviews/", views.review_list, name="reviews"),
    path("reviews/export.xlsx", views.review_export, name="reviews_export"),
    path("reviews/<int:review_id>/", views.review_detail, name="review"),
    path("reviews/<int:review_id>/edit/", views.review_edit, name="review_edit"),
    path("reviews/<int:review_id>/submit/", views.review_submit, name="review_submit"),
    path("reviews/<int:review_id>/decide/", views.review_decide, name="review_decide"),
]
