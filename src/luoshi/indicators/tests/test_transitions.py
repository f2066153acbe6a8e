"""Every forbidden transition of a unit's data approval (填报 → 上报 → 审核), issue 13: tried through
the services from every state and refused with a clear message, the state and values unchanged.

The services keep the machine in code, not in a table; ``MACHINE`` below writes it down once,
and the test checks both halves: what it allows works, everything else is refused.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from luoshi.indicators import services
from luoshi.indicators.models import Approval, ApprovalState, DataValue

pytestmark = pytest.mark.django_db
E = services.Entry
UNIT, PERIOD = "110101", "2024"

# action -> (states it may start from, state it leads to), for a unit expected to report
MACHINE = {
    "submit": ({"draft", "returned"}, "submitted"),
    "approve": ({"submitted"}, "approved"),
    "return": ({"submitted"}, "returned"),
    "unapprove": ({"approved"}, "submitted"),
}
REFUSALS = {  # what the reporter or reviewer is told, per action and state
    ("submit", "submitted"): "the data is already Submitted", ("submit", "approved"): "the data is already Approved",
    ("approve", "draft"): "has not submitted its data for 2024", ("approve", "returned"): "has not submitted its data for 2024",
    ("approve", "approved"): "the data is already approved",
    ("return", "draft"): "only submitted data can be returned", ("return", "returned"): "only submitted data can be returned",
    ("return", "approved"): "only submitted data can be returned",
    ("unapprove", "draft"): "the data is not approved", ("unapprove", "submitted"): "the data is not approved",
    ("unapprove", "returned"): "the data is not approved",
}
STATES = [s.value for s in ApprovalState]
FORBIDDEN = [(state, action) for action, (sources, _t) in MACHINE.items() for state in STATES if state not in sources]
ALLOWED = [(state, action, target) for action, (sources, target) in MACHINE.items() for state in sorted(sources)]


def _act(world, setup, action: str):
    unit, kw = world.unit(UNIT), {"dataset": setup.dataset, "period": PERIOD}
    if action == "submit":
        return services.submit(world.beijing_reporter, unit=unit, **kw)
    if action == "approve":
        return services.approve(world.beijing_reviewer, unit=unit, **kw)
    if action == "return":
        return services.return_data(world.beijing_reviewer, unit=unit, reason="数据口径不一致", **kw)
    return services.unapprove(world.beijing_reviewer, unit=unit, reason="发现录入错误", **kw)


def _in_state(world, setup, state: str) -> Approval:
    result = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=world.unit(UNIT), period=PERIOD,
                                  entries=[E("ENROL", "100")])
    assert result.ok, result.errors
    path = {"draft": [], "submitted": ["submit"], "returned": ["submit", "return"], "approved": ["submit", "approve"]}[state]
    for action in path:
        _act(world, setup, action)
    approval = Approval.objects.get(dataset=setup.dataset, unit=world.unit(UNIT), period=PERIOD)
    assert approval.state == state
    return approval


def test_the_table_covers_every_state_and_every_refusal_has_its_message():
    assert set(REFUSALS) == {(a, s) for s, a in FORBIDDEN}
    assert {s for sources, _t in MACHINE.values() for s in sources} | {t for _s, t in MACHINE.values()} == set(STATES)


@pytest.mark.parametrize(("state", "action"), FORBIDDEN, ids=[f"{s}-{a}" for s, a in FORBIDDEN])
def test_every_forbidden_data_transition_is_refused_with_a_clear_message(world, setup, state, action):
    approval = _in_state(world, setup, state)
    values = sorted(DataValue.objects.filter(unit=world.unit(UNIT)).values_list("indicator__code", "state"))
    with pytest.raises(ValidationError) as refused:
        _act(world, setup, action)
    assert REFUSALS[(action, state)] in " ".join(refused.value.messages)
    approval.refresh_from_db()
    assert approval.state == state
    assert sorted(DataValue.objects.filter(unit=world.unit(UNIT)).values_list("indicator__code", "state")) == values


@pytest.mark.parametrize(("state", "action", "target"), ALLOWED, ids=[f"{s}-{a}" for s, a, _t in ALLOWED])
def test_every_allowed_data_transition_goes_where_the_table_says(world, setup, state, action, target):
    _in_state(world, setup, state)
    assert _act(world, setup, action).state == target
