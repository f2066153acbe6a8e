"""Submitting a unit's data (``indicators/services.py``'s ``submit``, issue 13): every refusal word
for word, which values count for the unit, period and data set, and what the submission records."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from luoshi.audit.models import AuditRecord
from luoshi.indicators import services
from luoshi.indicators.models import Approval, DataValue

pytestmark = pytest.mark.django_db
E = services.Entry


def stored(indicator, unit, period="2024", value=1.0, *, category=None, warnings=(), comment=""):
    """A value as an earlier entry or import left it."""
    return DataValue.objects.create(indicator=indicator, unit=unit, period=period, category=category, value=value,
                                    warnings=list(warnings), comment=comment)


def submit(world, setup, unit, period="2024", dataset=None):
    return services.submit(world.beijing_reporter, dataset=dataset or setup.dataset, unit=unit, period=period)


def test_a_unit_the_data_set_does_not_expect_cannot_submit_and_is_named(world, setup):
    beijing = world.unit("110000")  # a province: the data set is reported by counties
    with pytest.raises(ValidationError) as refused:
        submit(world, setup, beijing)
    assert refused.value.messages == [f"{beijing} is not expected to report 区县年报"]
    assert not Approval.objects.exists()


def test_the_missing_required_values_and_the_uncommented_warnings_are_named_together(world, setup):
    planner = world.ministry_planner
    for indicator in (setup.pop, setup.teach, setup.ger):  # GER is computed: never missing
        services.update_indicator(planner, indicator, required=True)
    unit = world.unit("110101")
    urban, rural = setup.urban_rural.categories.order_by("code")[1], setup.urban_rural.categories.order_by("code")[0]
    stored(setup.enrol, unit, warnings=["outlier_own"])
    stored(setup.pupils, unit, category=urban, warnings=["outlier_peer"])
    stored(setup.pupils, unit, category=rural, warnings=["outlier_own"], comment=" ")
    stored(setup.teach_f, unit, warnings=["rule:R_TEACH_F"], comment="含外聘")
    with pytest.raises(ValidationError) as refused:
        submit(world, setup, unit)
    assert refused.value.messages == ["required values are missing: POP, TEACH",
                                      "values with warnings need a comment: ENROL, PUPILS"]
    assert not Approval.objects.exists()  # nothing submitted
    assert set(DataValue.objects.filter(unit=unit).values_list("state", flat=True)) == {"draft"}


def test_an_inactive_required_indicator_is_not_missing(world, setup):
    services.update_indicator(world.ministry_planner, setup.pop, required=True, is_active=False)
    services.update_indicator(world.ministry_planner, setup.teach, required=True)
    unit = world.unit("110101")
    with pytest.raises(ValidationError) as refused:
        submit(world, setup, unit)
    assert refused.value.messages == ["required values are missing: TEACH"]


def test_only_this_units_values_of_this_period_count_as_present(world, setup):
    for indicator in (setup.pop, setup.teach):
        services.update_indicator(world.ministry_planner, indicator, required=True)
    unit, neighbour = world.unit("110101"), world.unit("110102")
    stored(setup.pop, unit, period="2023")       # last year's figure
    stored(setup.teach, unit)
    stored(setup.pop, neighbour)                 # the neighbour's figure
    stored(setup.enrol, neighbour, warnings=["outlier_own"])  # and its uncommented warning
    stored(setup.enrol, unit, period="2023", warnings=["outlier_own"])
    with pytest.raises(ValidationError) as refused:
        submit(world, setup, unit)
    assert refused.value.messages == ["required values are missing: POP"]


def test_another_data_sets_uncommented_warning_does_not_stop_this_submission(world, setup):
    planner, unit = world.ministry_planner, world.unit("110101")
    funds = services.create_indicator(planner, code="FUNDS", name="经费", owner_unit=world.unit("MOE"),
                                      reporting_unit_types=["county"])
    other = services.create_dataset(planner, code="DS_FUNDS", name="经费年报", owner_unit=world.unit("MOE"),
                                    indicators=[funds], reporting_unit_types=["county"])
    stored(funds, unit, warnings=["outlier_own"])
    stored(setup.enrol, unit)
    assert submit(world, setup, unit).state == "submitted"
    assert dict(DataValue.objects.values_list("indicator__code", "state")) == {"ENROL": "submitted", "FUNDS": "draft"}
    with pytest.raises(ValidationError) as refused:
        submit(world, setup, unit, dataset=other)
    assert refused.value.messages == ["values with warnings need a comment: FUNDS"]


def test_a_resubmission_clears_the_reason_and_records_the_state_before_and_after(world, setup):
    unit = world.unit("110101")
    stored(setup.enrol, unit)
    first = submit(world, setup, unit)
    assert first.reason == "" and first.submitted_by == world.beijing_reporter
    services.return_data(world.beijing_reviewer, dataset=setup.dataset, unit=unit, period="2024", reason="请更正")
    again = submit(world, setup, unit)
    assert (again.state, again.reason, again.version) == ("submitted", "", 4)
    assert Approval.objects.get(pk=again.pk).reason == ""
    with pytest.raises(ValidationError) as refused:
        submit(world, setup, unit)
    assert refused.value.messages == ["the data is already Submitted"]
    records = AuditRecord.objects.filter(verb="submit", object_id=str(again.pk)).order_by("pk")
    assert [(r.before["state"], r.after["state"]) for r in records] == [("draft", "submitted"), ("returned", "submitted")]
    assert (records[1].before["reason"], records[1].after["reason"]) == ("请更正", "")
