"""The pilot workflow's pure rules, word for word: the refusals, the actions offered from each
state, eligibility and the call window at their edges, and every variant of the small text formats
the forms accept (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from luoshi.pilots import rules


def refusal(call) -> str:
    with pytest.raises(rules.TransitionRefused) as refused:
        call()
    return str(refused.value)


def test_a_refusal_names_the_kind_the_state_and_the_action():
    assert refusal(lambda: rules.PILOT.target("promoted", "submit_review")) == (
        "This pilot is in state “promoted” and cannot be put under review.")
    assert refusal(lambda: rules.PILOT.target("closed", "promote", "Closed")) == (
        "This pilot is in state “Closed” and cannot be promoted.")
    assert refusal(lambda: rules.REVIEW.target("draft", "decide")) == "This review is in state “draft” and cannot be decided."
    assert refusal(lambda: rules.PROGRAMME.target("finished", "reopen")) == (
        "This programme is in state “finished” and cannot be reopened.")
    assert refusal(lambda: rules.PILOT.target("running", "explode")) == "Unknown action 'explode'."


@pytest.mark.parametrize(("machine", "state", "actions"), [
    (rules.PROGRAMME, "draft", ["publish"]),
    (rules.PROGRAMME, "open", ["close_call"]),
    (rules.PROGRAMME, "running", ["reopen", "finish"]),
    (rules.APPLICATION, "draft", ["submit", "withdraw"]),
    (rules.APPLICATION, "submitted", ["shortlist", "approve", "decline", "withdraw"]),
    (rules.APPLICATION, "shortlisted", ["approve", "decline", "withdraw"]),
    (rules.PILOT, "running", ["submit_review", "close"]),
    (rules.PILOT, "reviewing", ["review_returned", "promote", "continue", "adjust", "close"]),
    (rules.REVIEW, "draft", ["submit"]),
    (rules.REVIEW, "returned", ["submit"]),
    (rules.REVIEW, "submitted", ["return", "decide"]),
    (rules.REVIEW, "unknown", []),
])
def test_the_actions_offered_from_each_state_in_table_order(machine, state, actions):
    assert machine.allowed(state) == actions


def test_outcomes_of_a_final_review_and_of_a_mid_term_check():
    for outcome in rules.OUTCOMES:
        rules.check_outcome("final", outcome)
    for outcome in ("continue", "adjust", "close"):
        rules.check_outcome("midterm", outcome)
    assert refusal(lambda: rules.check_outcome("midterm", "promote")) == (
        "A mid-term check cannot promote a pilot; promotion follows the end review.")
    assert refusal(lambda: rules.check_outcome("final", "celebrate")) == (
        "'celebrate' is not an outcome; choose one of promote, continue, adjust, close.")
    assert refusal(lambda: rules.check_outcome("midterm", "celebrate")) == (
        "'celebrate' is not an outcome; choose one of continue, adjust, close.")


def test_the_pilot_action_a_decided_review_causes():
    assert [rules.pilot_action_for("final", o) for o in rules.OUTCOMES] == ["promote", "continue", "adjust", "close"]
    assert [rules.pilot_action_for("midterm", o) for o in ("continue", "adjust", "close")] == [None, None, "close"]


def test_eligibility_by_type_and_region():
    wrong_type = "Units of this type are not eligible for this programme."
    outside = "The unit is outside the programme's eligible regions."
    assert rules.eligibility_problem("school", "/1/3/40/", ["county", "school"], []) == ""
    assert rules.eligibility_problem("province", "/1/3/", ["school"], []) == wrong_type
    assert rules.eligibility_problem("province", "/1/4/", ["school"], ["/1/3/"]) == wrong_type
    assert rules.eligibility_problem("school", "/1/4/40/", [], ["/1/3/"]) == outside
    assert rules.eligibility_problem("school", "/1/4/40/", ["school"], ["/1/3/", "/1/4/"]) == ""
    assert rules.eligibility_problem("school", "/1/3/", [], ["/1/3/40/"]) == outside


def test_the_call_is_open_from_its_first_to_its_last_day():
    opens, closes = date(2026, 12, 1), date(2026, 12, 31)
    assert rules.call_problem("open", opens, opens, closes) == ""
    assert rules.call_problem("open", closes, opens, closes) == ""
    assert rules.call_problem("open", date(2026, 11, 30), opens, closes) == "The call opens on 2026-12-01."
    assert rules.call_problem("open", date(2027, 1, 1), opens, closes) == "The call closed on 2026-12-31."
    assert rules.call_problem("open", date(2030, 1, 1), None, None) == ""
    assert rules.call_problem("running", opens, opens, closes) == "The programme's call for applications is not open."


@pytest.mark.parametrize(("word", "direction"), [
    ("↑", "up"), ("升", "up"), ("上升", "up"), ("提高", "up"), ("UP", "up"), ("", "up"),
    ("↓", "down"), ("降", "down"), ("下降", "down"), ("降低", "down"), ("Down", "down"),
])
def test_an_indicator_direction_may_be_written_as(word, direction):
    assert rules.parse_indicators(f"生师比 | 人 | {word}")[0]["direction"] == direction


def test_indicator_lines_fill_in_what_is_left_out_and_cut_what_is_too_long():
    assert rules.parse_indicators("  生师比  \n") == [{"name": "生师比", "unit": "", "direction": "up", "code": ""}]
    long = rules.parse_indicators(f"{'名' * 250} | {'u' * 50} | up | {'c' * 70}")[0]
    assert (len(long["name"]), len(long["unit"]), len(long["code"])) == (200, 40, 64)


@pytest.mark.parametrize(("text", "message"), [
    ("a\n\n | % | up", "line 3: the indicator has no name"),
    ("a\nb | % | sideways", "line 2: direction must be up or down, not 'sideways'"),
    ("a\n\nb\na | x", "line 4: a is listed twice"),
])
def test_a_bad_indicator_line_is_named(text, message):
    with pytest.raises(ValueError) as refused:
        rules.parse_indicators(text)
    assert str(refused.value) == message


def test_indicators_are_written_one_a_line_with_the_code_only_when_there_is_one():
    assert rules.format_indicators([{"name": "a", "unit": "%", "direction": "down", "code": "Z1"}, {"name": "b"}]) == (
        "a | % | down | Z1\nb |  | up")
    assert rules.format_indicators([{}]) == " |  | up"


@pytest.mark.parametrize(("line", "done"), [
    ("2027-01-15 建设", False), ("2027-01-15 建设 [x]", True), ("2027-01-15 建设[X]", True),
    ("2027-01-15 建设 ✓", True), ("2027-01-15   建设   √", True),
])
def test_a_milestone_may_be_marked_done(line, done):
    assert rules.parse_milestones(line) == [{"due": "2027-01-15", "title": "建设", "done": done}]


def test_milestones_are_sorted_by_date_and_long_titles_cut():
    parsed = rules.parse_milestones(f"2027-03-01 b\n\n  2027-01-01 {'t' * 310}  \n")
    assert [m["due"] for m in parsed] == ["2027-01-01", "2027-03-01"] and len(parsed[0]["title"]) == 300
    assert rules.format_milestones([{"due": "2027-01-01", "title": "a", "done": True}, {"due": "2027-02-01", "title": "b"}]) == (
        "2027-01-01 a [x]\n2027-02-01 b")


@pytest.mark.parametrize(("text", "message"), [
    ("2027-01-01 a\n\n下个月 完成建设", "line 3: write a date (YYYY-MM-DD), a space and the milestone"),
    ("2027-01-01", "line 1: write a date (YYYY-MM-DD), a space and the milestone"),
    ("2027-01-01 a\n2027-02-30 b", "line 2: 2027-02-30 is not a date"),
])
def test_a_bad_milestone_line_is_named(text, message):
    with pytest.raises(ValueError) as refused:
        rules.parse_milestones(text)
    assert str(refused.value) == message


@pytest.mark.parametrize(("text", "value"), [
    ("12.5", Decimal("12.5")), (" 1,234.5 ", Decimal("1234.5")), ("1，234", Decimal("1234")),
    ("85%", Decimal("85")), ("85％", Decimal("85")), ("-3", Decimal("-3")),
])
def test_a_figure_may_be_written_as(text, value):
    assert rules.parse_number(text) == value


@pytest.mark.parametrize("text", ["很多", "", "Infinity", "-inf", "NaN", "1.2.3", "12X", "12%X"])
def test_what_is_not_a_figure(text):
    with pytest.raises(ValueError) as refused:
        rules.parse_number(text)
    assert str(refused.value) == text


def test_figure_lines_accept_three_separators_and_name_a_bad_line():
    assert rules.parse_figures("a = 1\n\nb: 2.50\n c ： 3% ", []) == {"a": "1", "b": "2.50", "c": "3"}
    for text, message in (
        ("a = 1\n\nb", "line 3: write “indicator = value”"),
        ("a = 1\nz = 1", "line 2: z is not one of the programme's indicators (a、b)"),
        ("a = 1\nb = lots", "line 2: 'lots' is not a number"),
    ):
        with pytest.raises(ValueError) as refused:
            rules.parse_figures(text, ["a", "b"])
        assert str(refused.value) == message
    assert rules.format_figures({"a": "1", "b": "2.5"}) == "a = 1\nb = 2.5"


def test_figure_changes_say_whether_the_indicator_moved_the_wanted_way():
    indicators = [{"name": "up", "unit": "%"}, {"name": "down", "direction": "down"}, {"name": "flat"},
                  {"name": "blank"}, {"name": "fell", "direction": "up"}, {"name": "rose_bad", "direction": "down"}]
    rows = rules.figure_changes(indicators, {"up": "10", "down": "20", "flat": "5", "blank": "", "fell": "3", "rose_bad": "1"},
                                {"up": "12.5", "down": "15", "flat": "5.0", "blank": "4", "fell": "2", "rose_bad": "2"})
    assert [(r["change"], r["improved"]) for r in rows] == [
        (Decimal("2.5"), True), (Decimal("-5"), True), (Decimal("0"), None), (None, None),
        (Decimal("-1"), False), (Decimal("1"), False)]
    assert rows[0] == {"name": "up", "unit": "%", "baseline": "10", "latest": "12.5", "change": Decimal("2.5"),
                       "improved": True}
    assert rows[1]["unit"] == ""


def test_small_changes_count_and_a_missing_figure_or_name_gives_no_change():
    indicators = [{"name": "up"}, {"name": "down", "direction": "down"}, {"name": "gone"}, {}]
    rows = rules.figure_changes(indicators, {"up": "1", "down": "1", "gone": "1"}, {"up": "1.5", "down": "1.5", "gone": ""})
    assert [(r["change"], r["improved"]) for r in rows] == [
        (Decimal("0.5"), True), (Decimal("0.5"), False), (None, None), (None, None)]
    assert rows[3]["name"] == "" and rows[3]["baseline"] is None
