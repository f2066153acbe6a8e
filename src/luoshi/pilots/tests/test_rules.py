"""The pure workflow rules: every transition not in a machine is refused with a message that
names the state and the action; the text formats round-trip."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from luoshi.pilots import rules

MACHINES = {"programme": (rules.PROGRAMME, ["draft", "open", "running", "finished"]),
            "application": (rules.APPLICATION, ["draft", "submitted", "shortlisted", "approved", "declined", "withdrawn"]),
            "pilot": (rules.PILOT, ["running", "reviewing", "promoted", "closed"]),
            "review": (rules.REVIEW, ["draft", "submitted", "returned", "decided"])}


@pytest.mark.parametrize("name", MACHINES)
def test_every_pair_is_either_allowed_or_refused_with_a_message(name):
    machine, states = MACHINES[name]
    for state in states:
        for action, (sources, target) in machine.transitions.items():
            if state in sources:
                assert machine.target(state, action) == target
                assert action in machine.allowed(state)
            else:
                with pytest.raises(rules.TransitionRefused) as refused:
                    machine.target(state, action, state_label=f"«{state}»")
                assert f"«{state}»" in str(refused.value) and str(machine.labels[action]) in str(refused.value)


def test_terminal_states_allow_nothing_but_what_is_listed():
    assert rules.PILOT.allowed("promoted") == []
    assert rules.PILOT.allowed("closed") == []
    assert rules.APPLICATION.allowed("approved") == []
    assert rules.APPLICATION.allowed("declined") == []
    assert rules.REVIEW.allowed("decided") == []
    assert rules.PROGRAMME.allowed("finished") == []


def test_the_main_path():
    assert rules.APPLICATION.target("draft", "submit") == "submitted"
    assert rules.APPLICATION.target("submitted", "approve") == "approved"
    assert rules.PILOT.target("running", "submit_review") == "reviewing"
    for outcome, state in (("promote", "promoted"), ("continue", "running"), ("adjust", "running"), ("close", "closed")):
        assert rules.PILOT.target("reviewing", rules.pilot_action_for("final", outcome)) == state


def test_unknown_actions_are_refused():
    with pytest.raises(rules.TransitionRefused, match="Unknown"):
        rules.PILOT.target("running", "explode")


def test_outcomes():
    rules.check_outcome("final", "promote")
    with pytest.raises(rules.TransitionRefused, match="mid-term"):
        rules.check_outcome("midterm", "promote")
    with pytest.raises(rules.TransitionRefused, match="not an outcome"):
        rules.check_outcome("final", "celebrate")
    assert rules.pilot_action_for("midterm", "continue") is None
    assert rules.pilot_action_for("midterm", "close") == "close"


def test_eligibility():
    assert rules.eligibility_problem("school", "/1/3/40/", [], []) == ""
    assert rules.eligibility_problem("school", "/1/3/40/", ["school"], ["/1/3/"]) == ""
    assert "type" in rules.eligibility_problem("province", "/1/3/", ["school"], [])
    assert "regions" in rules.eligibility_problem("school", "/1/4/40/", [], ["/1/3/"])


def test_call_window():
    d = date(2026, 12, 3)
    assert rules.call_problem("open", d, date(2026, 12, 1), date(2026, 12, 31)) == ""
    assert "not open" in rules.call_problem("draft", d, None, None)
    assert "opens on 2026-12-04" in rules.call_problem("open", d, date(2026, 12, 4), None)
    assert "closed on 2026-12-02" in rules.call_problem("open", d, None, date(2026, 12, 2))


def test_indicator_lines():
    parsed = rules.parse_indicators("数字化教学课时占比 | % | up\n\n生师比｜ | 下降 | ZB-07\n")
    assert parsed == [{"name": "数字化教学课时占比", "unit": "%", "direction": "up", "code": ""},
                      {"name": "生师比", "unit": "", "direction": "down", "code": "ZB-07"}]
    assert rules.parse_indicators(rules.format_indicators(parsed)) == parsed
    with pytest.raises(ValueError, match="line 2"):
        rules.parse_indicators("a\nb | % | sideways")
    with pytest.raises(ValueError, match="twice"):
        rules.parse_indicators("a\na")


def test_milestone_lines():
    parsed = rules.parse_milestones("2027-06-30 中期检查 [x]\n2027-01-15 完成建设")
    assert parsed == [{"due": "2027-01-15", "title": "完成建设", "done": False},
                      {"due": "2027-06-30", "title": "中期检查", "done": True}]
    assert rules.parse_milestones(rules.format_milestones(parsed)) == parsed
    with pytest.raises(ValueError, match="line 1"):
        rules.parse_milestones("下个月 完成建设")
    with pytest.raises(ValueError, match="not a date"):
        rules.parse_milestones("2027-02-30 x")


def test_figure_lines():
    assert rules.parse_figures("生师比 = 12.5\n达标率：85%", ["生师比", "达标率"]) == {"生师比": "12.5", "达标率": "85"}
    with pytest.raises(ValueError, match="not one of"):
        rules.parse_figures("升学率 = 1", ["生师比"])
    with pytest.raises(ValueError, match="not a number"):
        rules.parse_figures("生师比 = 很多", [])
    with pytest.raises(ValueError, match="line 1"):
        rules.parse_figures("生师比", [])


@given(st.dictionaries(st.text(alphabet="生师比率达标课时", min_size=1, max_size=6),
                       st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000),
                       max_size=5))
def test_figures_round_trip(figures):
    text = rules.format_figures({k: str(v) for k, v in figures.items()})
    assert {k: rules.parse_number(v) for k, v in rules.parse_figures(text, []).items()} == figures


def test_figure_changes_follow_the_wanted_direction():
    rows = rules.figure_changes([{"name": "a", "direction": "up"}, {"name": "b", "direction": "down"}, {"name": "c"}],
                                {"a": "10", "b": "20"}, {"a": "15", "b": "25"})
    assert [(r["change"], r["improved"]) for r in rows] == [(5, True), (5, False), (None, None)]
