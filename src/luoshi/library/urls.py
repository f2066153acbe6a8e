from django.urls import path

from luoshi.library import views

app_name = "library"

urlpatterns = [
    path("solutions/", views.solution_list, name="solutions"),
    path("solutions/export.xlsx", views.solution_export, name="solutions_export"),
    path("solutions/new/", views.solution_create, name="solution_create"),
    path("solutions/<int:solution_id>/", views.solution_detail, name="solution"),
    path("solutions/<int:solution_id>/edit/", views.solution_edit, name="solution_edit"),
    path("solutions/<int:solution_id>/status/", views.solution_status, name="solution_status"),
    path("solutions/<int:solution_id>/delete/", views.solution_delete, name="solution_delete"),
    path("solutions/<int:solution_id>/files/", views.attachment_add, name="attachment_add"),
    path("solutions/<int:solution_id>/adopt/", views.adopt, name="adopt"),
    path("files/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("files/<int:attachment_id>/delete/", views.attachment_remove, name="attachment_remove"),
    path("adoptions/", views.adoption_list, name="adoptions"),
    path("adoptions/<int:adoption_id>/", views.adoption_edit, name="adoption_edit"),
    path("policies/", views.policy_list, name="policies"),
    path("policies/export.xlsx", views.policy_export, name="policies_export"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/<int:doc_id>/", views.policy_detail, name="policy"),
    path("policies/<int:doc_id>/edit/", views.policy_edit, name="policy_edit"),
    path("policies/<int:doc_id>/status/", views.policy_status, name="policy_status"),
    path("policies/<int:doc_id>/delete/", views.policy_delete, name="policy_delete"),
]
