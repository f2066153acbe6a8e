"""Every forbidden transition of solutions and policy documents (issue 13), generated from
``library/rules.py`` and tried through the services; and adoption of a draft solution refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from luoshi.library import rules, services
from luoshi.library.models import Adoption, PolicyDocument, Solution
from luoshi.library.tests import factories


def _forbidden(machine: rules.Machine) -> list[tuple[str, str]]:
    return [(state, action) for action, (sources, _t) in machine.transitions.items() for state in machine.labels
            if state not in sources]


SOLUTION_FORBIDDEN = _forbidden(rules.SOLUTIONS)
POLICY_FORBIDDEN = _forbidden(rules.POLICIES)


def test_every_state_is_labelled():
    assert set(rules.SOLUTIONS.labels) == {s.value for s in Solution.Status}
    assert set(rules.POLICIES.labels) == {s.value for s in PolicyDocument.Status}


@pytest.mark.parametrize(("state", "action"), SOLUTION_FORBIDDEN, ids=[f"{s}-{a}" for s, a in SOLUTION_FORBIDDEN])
def test_every_forbidden_solution_transition_is_refused(world, state, action):
    solution = factories.solution(world, world.unit("110101"))
    Solution.objects.filter(pk=solution.pk).update(status=state)
    with pytest.raises(ValidationError) as refused:
        services.set_solution_status(world.admin, solution, action)
    message = " ".join(refused.value.messages)
    assert f"Cannot {rules.ACTION_LABELS[action]}: the status is {rules.SOLUTIONS.labels[state]}" in message
    assert Solution.objects.get(pk=solution.pk).status == state


@pytest.mark.parametrize(("state", "action"), POLICY_FORBIDDEN, ids=[f"{s}-{a}" for s, a in POLICY_FORBIDDEN])
def test_every_forbidden_policy_transition_is_refused(world, state, action):
    doc = factories.policy(world, world.unit("110000"))
    PolicyDocument.objects.filter(pk=doc.pk).update(status=state)
    with pytest.raises(ValidationError) as refused:
        services.set_policy_status(world.admin, doc, action)
    message = " ".join(refused.value.messages)
    assert f"Cannot {rules.ACTION_LABELS[action]}: the status is {rules.POLICIES.labels[state]}" in message
    assert PolicyDocument.objects.get(pk=doc.pk).status == state


def test_a_draft_solution_cannot_be_adopted(world):
    solution = factories.solution(world, world.unit("110101"))
    with pytest.raises(ValidationError, match="A draft solution cannot be adopted yet"):
        services.adopt(world.admin, solution, world.unit("110102"))
    assert not Adoption.objects.filter(solution=solution).exists()
