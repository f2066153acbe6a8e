"""The library's state machines, on their own (no database)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luoshi.library import rules


def test_it_walks_a_solution_from_draft_to_national():
    state = "draft"
    for action in ("recommend", "promote"):
        state = rules.SOLUTIONS.target(state, action)
    assert state == "national"
    assert rules.SOLUTIONS.target("national", "withdraw") == "draft"


def test_it_refuses_skipping_recommendation_with_a_clear_message():
    with pytest.raises(rules.IllegalTransition) as exc:
        rules.SOLUTIONS.target("draft", "promote")
    message = str(exc.value)
    assert "promote nationally" in message and "Draft" in message and "Recommended" in message


def test_it_refuses_unknown_actions():
    with pytest.raises(rules.IllegalTransition, match="Unknown action"):
        rules.POLICIES.target("drafting", "publish-now")


def test_policy_documents_are_issued_then_revised_or_repealed():
    assert rules.POLICIES.target("drafting", "issue") == "issued"
    assert rules.POLICIES.target("issued", "revise") == "revised"
    assert rules.POLICIES.target("revised", "repeal") == "repealed"
    for state in ("drafting", "repealed"):
        with pytest.raises(rules.IllegalTransition):
            rules.POLICIES.target(state, "repeal")
    with pytest.raises(rules.IllegalTransition):
        rules.POLICIES.target("issued", "issue")


@given(st.sampled_from([rules.SOLUTIONS, rules.POLICIES]), st.text(max_size=12), st.text(max_size=12))
def test_every_answer_is_a_table_entry_or_a_refusal(machine, state, action):
    try:
        target = machine.target(state, action)
    except rules.IllegalTransition:
        assert action not in machine.actions(state)
    else:
        sources, expected = machine.transitions[action]
        assert state in sources and target == expected
        assert action in machine.actions(state)
