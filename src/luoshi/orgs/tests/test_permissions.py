"""Permission battery for org units, unit groups and memberships (see ``luoshi.core.testing.battery``)."""

from __future__ import annotations

import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from luoshi.audit import queries as audit_queries
from luoshi.core import authz
from luoshi.core.tabular import TableError, read_table
from luoshi.core.testing.battery import Action, Http, ModelSpec, generate
from luoshi.orgs import forms, queries, services
from luoshi.orgs.models import Membership, OrgGroup, OrgUnit

NEW_NAME = "测试单位（已改名）"


def _code() -> str:
    return "T" + uuid.uuid4().hex[:10].upper()


def _html(response) -> str:
    return response.content.decode()


def _links_to(path):
    return lambda c, r: f'href="{path(c)}"' in _html(r)


# Org units ---------------------------------------------------------------------------------

def make_unit(world, district) -> OrgUnit:
    """A new school below ``district``, created by the superuser."""
    return services.create_unit(world.admin, code=_code(), name="测试学校", type="school", parent=district)


def _unit_page(c) -> str:
    return f"/units/{c.obj.code}/"


def _api_lists(c, r) -> bool:
    return any(item["code"] == c.obj.code for item in r.json()["items"])


def _csv_lists(c, r) -> bool:
    return any(line.startswith(c.obj.code + ",") for line in r.content.decode("utf-8-sig").splitlines())


def _xlsx_lists(c, r) -> bool:
    ws = load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
    return any(row[0] == c.obj.code for row in ws.iter_rows(values_only=True))


def _import_file(c) -> dict:
    content = f"code,name,type,parent_code\n{c.new_code},导入学校,school,{c.obj.code}\n".encode()
    return {"file": SimpleUploadedFile("units.csv", content, content_type="text/csv")}


def _import_service(user, c):
    data = f"code,name,type,parent_code\n{c.new_code},导入学校,school,{c.obj.code}\n".encode()
    rows = read_table(data, "units.csv", services.IMPORT_COLUMNS, services.IMPORT_OPTIONAL)
    return services.import_units(user, rows, "units.csv")


def _new_unit_exists(c) -> bool:
    return OrgUnit.objects.filter(code=c.new_code).exists()


def _district(world, home):
    return home


ORG_UNIT = ModelSpec(
    model=OrgUnit,
    make=make_unit,
    actions=(
        Action(
            "list", listing=True,
            ui=Http("get", lambda c: "/units/search/", data=lambda c: {"q": c.obj.code}, shows=_links_to(_unit_page)),
            api=Http("get", lambda c: "/api/v1/org-units", data=lambda c: {"q": c.obj.code}, shows=_api_lists),
            service=lambda user, c: queries.units(user, q=c.obj.code),
        ),
        Action(
            "tree", listing=True,  # the children of a unit, loaded by htmx when a tree node opens
            ui=Http("get", lambda c: f"/units/{c.obj.parent.code}/children/", shows=_links_to(_unit_page),
                    out_of_scope_status=404),
            service=lambda user, c: queries.children(user, c.obj.parent),
        ),
        Action("export_csv", listing=True,
               ui=Http("get", lambda c: "/units/export.csv", shows=_csv_lists)),
        Action("export_xlsx", listing=True,
               ui=Http("get", lambda c: "/units/export.xlsx", shows=_xlsx_lists)),
        Action(
            "choices", permission="add", listing=True,  # the choice list of units to add below
            service=lambda user, c: forms.unit_choices(user, "add"),
        ),
        Action(
            "detail",
            ui=Http("get", _unit_page),
            api=Http("get", lambda c: f"/api/v1/org-units/{c.obj.code}"),
            service=lambda user, c: authz.get_or_404(user, OrgUnit, code=c.obj.code),
        ),
        Action(
            "history",
            ui=Http("get", _unit_page, data=lambda c: {"tab": "history"}),
            service=lambda user, c: audit_queries.history(user, c.obj),
        ),
        Action(
            "add", permission="add", target=_district, audit="create", effect=_new_unit_exists,
            ui=Http("post", lambda c: f"/units/{c.obj.code}/add/", ok=302,
                    data=lambda c: {"code": c.new_code, "name": "新学校", "type": "school", "is_active": "on"}),
            api=Http("post", lambda c: "/api/v1/org-units", ok=201, json=True,
                     data=lambda c: {"code": c.new_code, "name": "新学校", "type": "school", "parent_code": c.obj.code}),
            service=lambda user, c: services.create_unit(user, code=c.new_code, name="新学校", type="school", parent=c.obj),
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().name == NEW_NAME,
            ui=Http("post", lambda c: f"/units/{c.obj.code}/edit/", ok=302,
                    data=lambda c: {"code": c.obj.code, "name": NEW_NAME, "type": c.obj.type,
                                    "is_active": "on", "version": c.obj.version}),
            api=Http("patch", lambda c: f"/api/v1/org-units/{c.obj.code}", json=True,
                     data=lambda c: {"name": NEW_NAME, "version": c.obj.version}),
            service=lambda user, c: services.update_unit(user, c.obj, {"name": NEW_NAME}),
        ),
        Action(
            "move", permission="change", audit="update", verb="move",
            effect=lambda c: c.refresh().parent.code == "110108",
            api=Http("patch", lambda c: f"/api/v1/org-units/{c.obj.code}", json=True,
                     data=lambda c: {"parent_code": "110108", "version": c.obj.version}),
            service=lambda user, c: services.update_unit(user, c.obj, {"parent": c.world.unit("110108")}),
        ),
        Action(
            "delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
            service=lambda user, c: services.delete_unit(user, c.obj),
        ),
        Action(
            # A bulk form: a file naming an out-of-scope parent is refused row by row, not with 404.
            "import", permission="add", target=_district, audit="create", verb="import", effect=_new_unit_exists,
            ui=Http("post", lambda c: "/units/import/", data=_import_file),
            service=_import_service,
            expect={("ui", "out_of_scope"): 200, ("service", "out_of_scope"): TableError,
                    ("service", "wrong_role"): TableError, ("service", "anonymous"): TableError},
        ),
    ),
)


# Unit groups -------------------------------------------------------------------------------

def make_group(world, district) -> OrgGroup:
    return services.create_group(world.admin, code=_code(), name="测试组", owner=district, members=[district])


def _group_page(c) -> str:
    return f"/units/groups/{c.obj.code}/"


ORG_GROUP = ModelSpec(
    model=OrgGroup,
    make=make_group,
    actions=(
        Action("list", listing=True, ui=Http("get", lambda c: "/units/groups/", shows=_links_to(_group_page)),
               service=lambda user, c: queries.groups(user)),
        Action("detail", ui=Http("get", _group_page),
               service=lambda user, c: authz.get_or_404(user, OrgGroup, code=c.obj.code)),
        Action("add", permission="add", target=_district, audit="create",
               effect=lambda c: OrgGroup.objects.filter(code=c.new_code).exists(),
               ui=Http("post", lambda c: "/units/groups/new/", ok=302,
                       data=lambda c: {"code": c.new_code, "name": "新组", "owner": c.obj.pk, "members": [c.obj.pk]}),
               service=lambda user, c: services.create_group(user, code=c.new_code, name="新组", owner=c.obj,
                                                             members=[c.obj]),
               # The owner is a choice list of the user's own units: a unit outside it is a form
               # error (200, nothing written), as for any scoped choice list.
               expect={("ui", "out_of_scope"): 200}),
        Action("change", permission="change", audit="update", effect=lambda c: c.refresh().name == NEW_NAME,
               ui=Http("post", lambda c: f"/units/groups/{c.obj.code}/edit/", ok=302,
                       data=lambda c: {"code": c.obj.code, "name": NEW_NAME, "owner": c.obj.owner_id,
                                       "members": list(c.obj.members.values_list("pk", flat=True)), "version": c.obj.version}),
               service=lambda user, c: services.update_group(user, c.obj, {"name": NEW_NAME})),
        Action("delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
               service=lambda user, c: services.delete_group(user, c.obj)),
    ),
)


# Memberships -------------------------------------------------------------------------------

def make_membership(world, district) -> Membership:
    from luoshi.accounts import services as account_services

    user = account_services.create_user(world.admin, username="m" + uuid.uuid4().hex[:10], password=None)
    return services.add_membership(world.admin, user=user, unit=district, role="viewer")


def _membership_added(c) -> bool:
    return Membership.objects.filter(user=c.new_user, unit=c.obj, role="reporter").exists()


def _known_new_user(c):
    """A fresh user the unit's admins can already see (a viewer there): added directly, not invited."""
    services.add_membership(c.world.admin, user=c.new_user, unit=c.obj, role="viewer")
    return c.new_user


MEMBERSHIP = ModelSpec(
    model=Membership,
    make=make_membership,
    actions=(
        Action(
            "list", listing=True,  # the members tab of a unit page
            ui=Http("get", lambda c: f"/units/{c.obj.unit.code}/", data=lambda c: {"tab": "members"},
                    shows=lambda c, r: c.obj.user.username in _html(r), out_of_scope_status=404),
            service=lambda user, c: queries.members(user, c.obj.unit),
        ),
        Action(
            "add", permission="add", target=_district, audit="create", effect=_membership_added,
            prepare=_known_new_user,
            ui=Http("post", lambda c: f"/units/{c.obj.code}/members/add/", ok=302,
                    data=lambda c: {"username": c.new_user.username, "role": "reporter", "covers_below": "on"}),
            service=lambda user, c: services.add_membership(user, user=c.new_user, unit=c.obj, role="reporter"),
        ),
        Action(
            "change", permission="change", audit="update", effect=lambda c: c.refresh().role == "reporter",
            service=lambda user, c: services.update_membership(user, c.obj, {"role": "reporter"}),
        ),
        Action(
            "delete", permission="delete", audit="delete", effect=lambda c: c.refresh() is None,
            ui=Http("post", lambda c: f"/units/{c.obj.unit.code}/members/{c.obj.pk}/remove/", ok=302),
            service=lambda user, c: services.remove_membership(user, c.obj),
        ),
    ),
)

SPECS = [ORG_UNIT, ORG_GROUP, MEMBERSHIP]

test_permissions = generate(SPECS)

