from django.urls import path

from luoshi.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_create, name="create"),
    path("my-work/", views.my_work, name="my_work"),
    path("unit-options/", views.unit_options, name="unit_options"),
    path("<int:plan_id>/unit-options/", views.filter_unit_options, name="filter_unit_options"),
    path("supervision/unit-options/", views.supervision_unit_options, name="supervision_unit_options"),
    path("reviews/", views.review_queue, name="reviews"),
    path("supervision/", views.supervision, name="supervision"),
    path("supervision/export.<str:fmt>", views.supervision_export, name="supervision_export"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/edit/", views.plan_edit, name="edit"),
    path("<int:plan_id>/history/", views.plan_history, name="history"),
    path("<int:plan_id>/status/", views.plan_status, name="status"),
    path("<int:plan_id>/renumber/", views.plan_renumber, name="renumber"),
    path("<int:plan_id>/children/", views.item_children, name="children"),
    path("<int:plan_id>/items/new/", views.item_create, name="item_create"),
    path("<int:plan_id>/items/import/", views.items_import, name="items_import"),
    path("<int:plan_id>/items/export.xlsx", views.items_export, name="items_export"),
    path("<int:plan_id>/items/template.xlsx", views.items_template, name="items_template"),
    path("<int:plan_id>/items/<int:item_id>/", views.item_detail, name="item"),
    path("<int:plan_id>/items/<int:item_id>/edit/", views.item_edit, name="item_edit"),
    path("<int:plan_id>/items/<int:item_id>/move/", views.item_move, name="item_move"),
    path("<int:plan_id>/items/<int:item_id>/delete/", views.item_delete, name="item_delete"),
    path("<int:plan_id>/items/<int:item_id>/report/", views.report_edit, name="report_edit"),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
    path("reports/<int:report_id>/submit/", views.report_submit, name="report_submit"),
    path("reports/<int:report_id>/review/", views.report_review, name="report_review"),
    path("reports/<int:report_id>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("evidence/<int:evidence_id>/delete/", views.evidence_delete, name="evidence_delete"),
]
