"""What the library's state machines say when they refuse, word for word, and which actions they
offer from each state (the buttons of the solution and policy pages); no database."""

from __future__ import annotations

import pytest

from luoshi.library import rules


def refusal(machine: rules.Machine, state: str, action: str) -> str:
    with pytest.raises(rules.IllegalTransition) as refused:
        machine.target(state, action)
    return str(refused.value)


def test_a_refusal_names_the_action_the_status_and_every_status_it_is_possible_from():
    assert refusal(rules.SOLUTIONS, "draft", "withdraw") == (
        "Cannot withdraw: the status is Draft (possible only from: Promoted nationally, Recommended).")
    assert refusal(rules.POLICIES, "drafting", "repeal") == (
        "Cannot repeal: the status is Drafting (possible only from: Issued, Revised).")
    assert refusal(rules.SOLUTIONS, "national", "promote") == (
        "Cannot promote nationally: the status is Promoted nationally (possible only from: Recommended).")


def test_a_status_the_machine_does_not_know_is_named_as_stored():
    assert refusal(rules.SOLUTIONS, "archived", "recommend") == (
        "Cannot recommend: the status is archived (possible only from: Draft).")


def test_an_unknown_action_is_named():
    assert refusal(rules.POLICIES, "drafting", "publish-now") == "Unknown action: publish-now."


@pytest.mark.parametrize(("machine", "state", "actions"), [
    (rules.SOLUTIONS, "draft", ["recommend"]),
    (rules.SOLUTIONS, "recommended", ["promote", "withdraw"]),
    (rules.SOLUTIONS, "national", ["withdraw"]),
    (rules.POLICIES, "drafting", ["issue"]),
    (rules.POLICIES, "issued", ["revise", "repeal"]),
    (rules.POLICIES, "revised", ["repeal"]),
    (rules.POLICIES, "repealed", []),
])
def test_the_actions_offered_from_each_status_are_exactly_the_allowed_ones(machine, state, actions):
    assert machine.actions(state) == actions
