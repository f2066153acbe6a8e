from django.urls import path

from luoshi.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("search/", views.search, name="search"),
    path("import/", views.import_units, name="import"),
    path("export.<str:fmt>", views.export_units, name="export"),
    path("invitations/<int:pk>/<str:decision>/", views.invitation_decide, name="invitation"),
    path("groups/", views.group_list, name="groups"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<str:code>/", views.group_detail, name="group"),
    path("groups/<str:code>/edit/", views.group_edit, name="group_edit"),
    path("<str:code>/", views.unit_detail, name="unit"),
    path("<str:code>/children/", views.unit_children, name="children"),
    path("<str:code>/edit/", views.unit_edit, name="edit"),
    path("<str:code>/add/", views.unit_add, name="add"),
    path("<str:code>/members/add/", views.member_add, name="member_add"),
    path("<str:code>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
]
