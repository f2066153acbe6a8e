"""The org tree's materialised paths: creating, moving, refusing cycles, and constant-cost reads."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from luoshi.audit.models import AuditRecord
from luoshi.orgs import queries, services
from luoshi.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db


def assert_tree_consistent() -> None:
    """Every unit's path is its parent's path plus its own id, and depth matches the path."""
    units = {u.pk: u for u in OrgUnit.objects.all()}
    for unit in units.values():
        parent_path = units[unit.parent_id].path if unit.parent_id else "/"
        assert unit.path == f"{parent_path}{unit.pk}/", f"{unit.code}: path {unit.path}"
        assert unit.depth == unit.path.count("/") - 2, f"{unit.code}: depth {unit.depth} for {unit.path}"


def chain(world, parent, *codes):
    """Units ``codes[0]`` below ``parent``, ``codes[1]`` below that, and so on."""
    made = []
    for code in codes:
        parent = services.create_unit(world.admin, code=code, name=f"单位{code}", type="other", parent=parent)
        made.append(parent)
    return made


def test_it_gives_every_unit_of_the_world_a_consistent_path():
    assert OrgUnit.objects.count() > 100
    assert_tree_consistent()


def test_it_sets_path_and_depth_on_create(world):
    district = world.unit("110101")
    school = services.create_unit(world.beijing_admin, code="NEWSCHOOL", name="新学校", type="school", parent=district)
    assert school.path == f"{district.path}{school.pk}/"
    assert school.depth == district.depth + 1 == 3
    assert OrgUnit.objects.get(code="NEWSCHOOL").path == school.path


def test_it_moves_a_subtree_with_all_its_descendants(world):
    a, b, c = chain(world, world.unit("110101"), "A1", "B1", "C1")
    target = world.unit("310101")
    services.update_unit(world.admin, a, {"parent": target})
    a, b, c = (OrgUnit.objects.get(code=x) for x in ("A1", "B1", "C1"))
    assert a.parent == target
    assert (a.path, b.path, c.path) == (f"{target.path}{a.pk}/", f"{target.path}{a.pk}/{b.pk}/", f"{target.path}{a.pk}/{b.pk}/{c.pk}/")
    assert (a.depth, b.depth, c.depth) == (3, 4, 5)
    assert set(OrgUnit.objects.subtree_of(target).values_list("code", flat=True)) >= {"A1", "B1", "C1"}
    assert not OrgUnit.objects.subtree_of(world.unit("110101")).filter(code__in=["A1", "B1", "C1"]).exists()
    assert_tree_consistent()


def test_it_updates_depth_when_a_subtree_moves_up(world):
    a, b, c = chain(world, world.unit("S110101001"), "A2", "B2", "C2")
    assert (a.depth, c.depth) == (4, 6)
    services.update_unit(world.admin, b, {"parent": world.unit("MOE")})
    b, c = OrgUnit.objects.get(code="B2"), OrgUnit.objects.get(code="C2")
    assert (b.depth, c.depth) == (1, 2)
    assert c.path == f"{world.unit('MOE').path}{b.pk}/{c.pk}/"
    assert_tree_consistent()


def test_it_records_a_move_in_the_audit_trail(world):
    (a,) = chain(world, world.unit("110101"), "A3")
    services.update_unit(world.beijing_admin, a, {"parent": world.unit("110108")})
    record = AuditRecord.objects.filter(object_id=str(a.pk), verb="move").get()
    assert record.actor_username == "beijing_admin"
    assert (record.before["parent"], record.after["parent"]) == (world.unit("110101").pk, world.unit("110108").pk)


@pytest.mark.parametrize("target", ["itself", "child", "grandchild"])
def test_it_refuses_to_move_a_unit_below_itself(world, target):
    a, b, c = chain(world, world.unit("110101"), "A4", "B4", "C4")
    new_parent = {"itself": a, "child": b, "grandchild": c}[target]
    paths = dict(OrgUnit.objects.values_list("code", "path"))
    audits = AuditRecord.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.update_unit(world.admin, a, {"parent": new_parent})
    assert "parent" in exc.value.message_dict
    assert dict(OrgUnit.objects.values_list("code", "path")) == paths
    assert AuditRecord.objects.count() == audits


def test_it_refuses_a_move_below_own_descendant_through_the_api(world, api):
    a, b = chain(world, world.unit("110101"), "A5", "B5")
    response = api("beijing_admin").patch("/api/v1/org-units/A5", {"parent_code": "B5", "version": a.version}, content_type="application/json")
    assert response.status_code == 422
    assert "parent" in response.json()["errors"]
    assert OrgUnit.objects.get(code="A5").parent == world.unit("110101")


def test_it_refuses_to_move_a_unit_out_of_the_movers_scope(world):
    (a,) = chain(world, world.unit("110101"), "A6")
    with pytest.raises(Http404):
        services.update_unit(world.beijing_admin, a, {"parent": world.unit("310101")})
    with pytest.raises(PermissionDenied):
        services.update_unit(world.beijing_admin, a, {"parent": None})
    assert OrgUnit.objects.get(code="A6").parent == world.unit("110101")


def test_it_reads_a_subtree_in_one_query_whatever_its_size(world, django_assert_num_queries):
    for code in ("MOE", "110000", "110101", "S110101001"):
        unit = world.unit(code)
        with django_assert_num_queries(1):
            units = list(OrgUnit.objects.subtree_of(unit))
        assert units[0] == unit and all(u.path.startswith(unit.path) for u in units)
    assert len(list(OrgUnit.objects.subtree_of(world.unit("MOE")))) == OrgUnit.objects.count()


def test_it_reads_ancestors_in_one_query_whatever_the_depth(world, django_assert_num_queries):
    for code, expected in [("110000", ["MOE"]), ("110101", ["MOE", "110000"]), ("S110101001", ["MOE", "110000", "110101"])]:
        unit = world.unit(code)
        with django_assert_num_queries(1):
            codes = [u.code for u in OrgUnit.objects.ancestors_of(unit)]
        assert codes == expected


def test_it_reads_scoped_children_and_ancestors_in_constant_queries(world, django_assert_num_queries,
                                                                  django_assert_max_num_queries):
    user = world.beijing_reporter
    list(queries.children(user, world.unit("MOE")))  # loads the user's grants once
    for code in ("MOE", "110000", "110101", "S110101001"):
        unit = world.unit(code)
        with django_assert_num_queries(1):
            list(queries.children(user, unit))
        with django_assert_max_num_queries(1):  # a root has no ancestors to ask for
            list(queries.ancestors(user, unit))


def _queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_it_renders_unit_pages_in_the_same_number_of_queries_at_every_level(world, login):
    client = login("beijing_admin")
    client.get("/")  # the navigation badges are counted once, then cached: every page below alike
    counts = {code: _queries_for(client, f"/units/{code}/") for code in ("110000", "110101", "S110101001")}
    assert len(set(counts.values())) == 1, counts
    assert _queries_for(client, "/units/MOE/") <= counts["110000"]  # a root skips the ancestor query
    children = {code: _queries_for(client, f"/units/{code}/children/") for code in ("MOE", "110000", "110108")}
    assert len(set(children.values())) == 1, children


def test_it_shows_ancestors_by_name_but_not_their_other_branches(world, login):
    client = login("beijing_reporter")
    moe = client.get("/units/MOE/")
    assert moe.status_code == 200
    html = moe.content.decode()
    assert "北京市教育委员会" in html and "上海市教育委员会" not in html
    assert client.get("/units/310000/").status_code == 404


def test_it_keeps_the_history_of_an_ancestor_seen_by_name_only(world, login):
    services.update_unit(world.admin, world.unit("MOE"), {"short_name": "教育部（测）"})
    assert "教育部（测）" in login("ministry_reviewer").get("/units/MOE/", {"tab": "history"}).content.decode()
    html = login("beijing_reporter").get("/units/MOE/", {"tab": "history"}).content.decode()
    assert "No recorded changes." in html and 'class="before"' not in html
    services.update_unit(world.admin, world.unit("110000"), {"short_name": "北京（测）"})
    assert "北京（测）" in login("beijing_reporter").get("/units/110000/", {"tab": "history"}).content.decode()


def test_it_counts_only_the_children_a_user_can_see(world, login):
    html = login("beijing_reporter").get("/units/").content.decode()
    assert "1 unit<" in html or "1 unit " in html, "MOE should show one child (北京) to a 北京 reporter"
    assert f"{OrgUnit.objects.filter(parent__code='MOE').count()} units" not in html
    kids = login("beijing_reporter").get("/units/MOE/children/").content.decode()
    assert "北京市教育委员会" in kids and "16 units" in kids and "上海" not in kids
