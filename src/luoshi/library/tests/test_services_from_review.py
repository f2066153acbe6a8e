"""library/services.py: the solution made from a promoted pilot review (issue 13): what is copied
from the review and the pilot, the fall-backs when a text is missing, the figures, who may ask,
and the refusals word for word."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from luoshi.audit import services as audit
from luoshi.audit.models import AuditRecord
from luoshi.library import search, services
from luoshi.library.models import Solution
from luoshi.library.tests import factories
from luoshi.pilots.models import Pilot, Review
from luoshi.pilots.tests.conftest import make_review

SCHOOL = "S110101001"


def _promoted(world, review_fields=None, pilot_fields=None) -> Review:
    """A submitted review of a pilot of the school, marked promoted without making its solution."""
    review = make_review(world, world.unit(SCHOOL))
    Pilot.objects.filter(pk=review.pilot_id).update(**(pilot_fields or {}))
    Review.objects.filter(pk=review.pk).update(**({"outcome": "promote", "state": "decided"} | (review_fields or {})))
    return Review.objects.get(pk=review.pk)


def test_a_promoted_review_gives_a_draft_of_the_owner_with_the_reviews_texts_figures_units_and_plan_items(world):
    school, district = world.unit(SCHOOL), world.unit("110101")
    review = make_review(world, school)
    pilot = review.pilot
    pilot.participants.add(district)
    item = factories.plan_item(world, district)
    pilot.programme.plan_items.add(item)
    from luoshi.pilots import services as pilot_services

    pilot_services.decide_review(world.ministry_reviewer, review, "promote")
    sol = Solution.objects.get(source_review=review)
    pilot = Pilot.objects.get(pk=pilot.pk)
    assert pilot.approach == "建设智慧教室，开展教师研修。"
    assert (sol.unit.code, sol.status, sol.title) == ("MOE", "draft", pilot.title)
    assert sol.problem == "教师时间不足。\n\n评价方式滞后。"
    assert sol.approach == "建设智慧教室，开展教师研修。"
    assert sol.results == "目标基本达成。\n\n教研组集体备课。"
    assert sol.evidence == "数字化教学课时占比：12 → 31\n教师信息素养达标率：60 → 85"
    assert sol.conditions == "具备千兆校园网。\n\n先培训后推开。"
    assert (sol.cost, sol.cost_notes) == (Decimal("45.50"), "")
    assert (sol.result_label, sol.result_value) == ("数字化教学课时占比", Decimal("31.00"))
    assert set(sol.source_units.all()) == {school, district}
    assert list(sol.plan_items.all()) == [item]
    # indexed for search, found by the province and level of its deepest source unit (the school)
    assert sol.search_title == search.segment(pilot.title)
    assert (sol.region_id, sol.level) == (world.unit("110000").pk, "school")
    records = list(AuditRecord.objects.filter(content_type__model="solution", object_id=str(sol.pk)))
    assert [(r.action, r.verb, r.actor_id, r.before) for r in records] == [
        ("create", "from_review", world.ministry_reviewer.pk, None)]
    after = records[0].after
    assert after == audit.snapshot(sol) | {"result_value": "31"}  # (the value as computed, before the column's scale)
    assert (after["source_review"], after["unit"], after["status"]) == (review.pk, sol.unit_id, "draft")
    # the programme's planners may ask too: the same solution comes back, nothing is recorded again
    again = services.create_solution_from_review(world.ministry_planner, review)
    assert again.pk == sol.pk
    assert AuditRecord.objects.filter(content_type__model="solution", object_id=str(sol.pk)).count() == 1


def test_a_planner_of_the_programmes_owner_turns_a_promoted_review_into_a_solution(world):
    review = _promoted(world)
    sol = services.create_solution_from_review(world.ministry_planner, review)
    assert sol.source_review_id == review.pk and sol.unit.code == "MOE"
    record = AuditRecord.objects.get(content_type__model="solution", object_id=str(sol.pk))
    assert (record.action, record.verb, record.actor_id) == ("create", "from_review", world.ministry_planner.pk)
    # the programme's reviewer may ask again (and gets it back)
    assert services.create_solution_from_review(world.ministry_reviewer, review).pk == sol.pk


def test_only_the_programmes_reviewers_or_planners_may_make_the_solution(world):
    review = _promoted(world)
    for actor in (world.user("beijing_reviewer"), world.user("beijing_reporter"), world.user("auditor")):
        with pytest.raises(PermissionDenied) as refusal:
            services.create_solution_from_review(actor, review)
        assert str(refusal.value) == "Only the programme's reviewers or planners may turn a review into a solution."
    assert not Solution.objects.filter(source_review=review).exists()


@pytest.mark.parametrize("outcome", ["", "continue", "adjust", "close"])
def test_a_review_not_promoted_is_refused_word_for_word(world, outcome):
    review = _promoted(world, {"outcome": outcome})
    with pytest.raises(ValidationError) as refusal:
        services.create_solution_from_review(world.ministry_reviewer, review)
    assert refusal.value.messages == ["Only a review whose outcome is 'promote' becomes a solution."]
    assert not Solution.objects.filter(source_review=review).exists()


def test_missing_texts_fall_back_to_the_pilots_aims_then_its_title(world):
    review = _promoted(world, {"core_problems": "  ", "essential_problems": "", "what_worked": " ",
                               "lessons": "", "reuse_conditions": " 具备千兆校园网。 ", "cost": None,
                               "cost_notes": "按学期计", "figures": []},
                       {"aims": "", "approach": ""})
    sol = services.create_solution_from_review(world.ministry_planner, review)
    title = review.pilot.title
    assert (sol.problem, sol.approach) == (title, title)
    assert sol.results == "目标基本达成。"
    assert sol.conditions == "具备千兆校园网。"
    assert (sol.evidence, sol.result_label, sol.result_value) == ("", "", None)
    assert (sol.cost, sol.cost_notes) == (None, "按学期计")


def test_the_pilots_aims_stand_in_for_the_problems_and_what_worked_for_its_approach(world):
    review = _promoted(world, {"core_problems": "", "essential_problems": " 评价方式滞后。", "what_worked": "集体备课。",
                               "aims_vs_results": " ", "reuse_conditions": "", "lessons": "先培训后推开。"},
                       {"approach": ""})
    sol = services.create_solution_from_review(world.ministry_planner, review)
    assert sol.problem == "评价方式滞后。"
    assert (sol.approach, sol.results, sol.conditions) == ("集体备课。", "集体备课。", "先培训后推开。")
    review2 = _promoted(world, {"core_problems": "", "essential_problems": ""}, {"aims": "两年内达到30%。"})
    sol2 = services.create_solution_from_review(world.ministry_planner, review2)
    assert sol2.problem == "两年内达到30%。"


def test_the_headline_is_the_first_named_figure_read_as_a_number_and_the_evidence_lists_every_named_one(world):
    name = "长" * 120
    review = _promoted(world, {"figures": ["一行", {"baseline": "1", "result": "2"}, {"name": "", "result": "3"},
                                           {"name": name, "result": " 31.5 "}, {"name": "覆盖率", "baseline": "60"}]})
    sol = services.create_solution_from_review(world.ministry_planner, review)
    assert (sol.result_label, sol.result_value) == ("长" * 100, Decimal("31.50"))
    assert sol.evidence == f"{name}： →  31.5 \n覆盖率：60 → "
    review2 = _promoted(world, {"figures": [{"name": "达标率" * 40, "baseline": "60", "result": "未测"},
                                            {"name": "覆盖率", "result": "80"}]})
    sol2 = services.create_solution_from_review(world.ministry_planner, review2)
    assert (sol2.result_label, sol2.result_value) == (("达标率" * 40)[:100], None)
    assert sol2.evidence == f"{'达标率' * 40}：60 → 未测\n覆盖率： → 80"
    review3 = _promoted(world, {"figures": [{"name": 2024}]})
    sol3 = services.create_solution_from_review(world.ministry_planner, review3)
    assert (sol3.result_label, sol3.result_value, sol3.evidence) == ("2024", None, "2024： → ")
