"""Pure rules of the pilot workflow: state machines, eligibility and the small text formats the
forms use for indicators, milestones and figures. No database access; tested on their own.

Workflow (试点 → 复盘 → 推广)::

    programme   draft → open (call published) → running (call closed) → finished
    application draft → submitted → shortlisted → approved | declined   (withdrawn by the applicant)
    pilot       running → reviewing (end review submitted) → promoted | closed,
                or back to running when the review says continue or adjust
    review      draft → submitted → decided (outcome) ; submitted → returned → submitted

Every transition not listed is refused with a message naming the state and the action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class TransitionRefused(ValueError):
    """An action that the current state does not allow; ``str()`` says why."""


@dataclass(frozen=True)
class Machine:
    name: object  # what it is (lazy translation)
    # action -> (states it may start from, state it leads to)
    transitions: dict[str, tuple[frozenset[str], str]]
    labels: dict[str, object]  # action -> its label (lazy translation)

    def target(self, state: str, action: str, state_label: str = "") -> str:
        if action not in self.transitions:
            raise TransitionRefused(_("Unknown action %(action)r.") % {"action": action})
        sources, target = self.transitions[action]
        if state not in sources:
            raise TransitionRefused(
                _("This %(kind)s is in state “%(state)s” and cannot be %(action)s.")
                % {"kind": self.name, "state": state_label or state, "action": self.labels[action]}
            )
        return target

    def allowed(self, state: str) -> list[str]:
        return [a for a, (sources, _t) in self.transitions.items() if state in sources]


def _m(name: object, rows: dict[str, tuple[set[str], str]], labels: dict[str, object]) -> Machine:
    return Machine(name, {a: (frozenset(s), t) for a, (s, t) in rows.items()}, labels)


PROGRAMME = _m(gettext_lazy("programme"), {
    "publish": ({"draft"}, "open"),
    "close_call": ({"open"}, "running"),
    "reopen": ({"running"}, "open"),
    "finish": ({"running"}, "finished"),
}, {"publish": gettext_lazy("published"), "close_call": gettext_lazy("closed for applications"),
    "reopen": gettext_lazy("reopened"), "finish": gettext_lazy("finished")})

APPLICATION = _m(gettext_lazy("application"), {
    "submit": ({"draft"}, "submitted"),
    "shortlist": ({"submitted"}, "shortlisted"),
    "approve": ({"submitted", "shortlisted"}, "approved"),
    "decline": ({"submitted", "shortlisted"}, "declined"),
    "withdraw": ({"draft", "submitted", "shortlisted"}, "withdrawn"),
}, {"submit": gettext_lazy("submitted"), "shortlist": gettext_lazy("shortlisted"), "approve": gettext_lazy("approved"),
    "decline": gettext_lazy("declined"), "withdraw": gettext_lazy("withdrawn")})

PILOT = _m(gettext_lazy("pilot"), {
    "submit_review": ({"running"}, "reviewing"),
    "review_returned": ({"reviewing"}, "running"),
    "promote": ({"reviewing"}, "promoted"),
    "continue": ({"reviewing"}, "running"),
    "adjust": ({"reviewing"}, "running"),
    "close": ({"reviewing", "running"}, "closed"),
}, {"submit_review": gettext_lazy("put under review"), "review_returned": gettext_lazy("taken back from review"),
    "promote": gettext_lazy("promoted"), "continue": gettext_lazy("continued"), "adjust": gettext_lazy("adjusted"),
    "close": gettext_lazy("closed")})

REVIEW = _m(gettext_lazy("review"), {
    "submit": ({"draft", "returned"}, "submitted"),
    "return": ({"submitted"}, "returned"),
    "decide": ({"submitted"}, "decided"),
}, {"submit": gettext_lazy("submitted"), "return": gettext_lazy("returned"), "decide": gettext_lazy("decided")})

OUTCOMES = ("promote", "continue", "adjust", "close")
# A mid-term check cannot promote: only a finished pilot's results can become a solution.
MIDTERM_OUTCOMES = ("continue", "adjust", "close")


def check_outcome(kind: str, outcome: str) -> None:
    allowed = MIDTERM_OUTCOMES if kind == "midterm" else OUTCOMES
    if outcome not in allowed:
        if outcome == "promote":
            raise TransitionRefused(_("A mid-term check cannot promote a pilot; promotion follows the end review."))
        raise TransitionRefused(_("%(outcome)r is not an outcome; choose one of %(allowed)s.")
                                % {"outcome": outcome, "allowed": ", ".join(allowed)})


def pilot_action_for(kind: str, outcome: str) -> str | None:
    """The pilot transition a decided review causes (a mid-term check only when it closes)."""
    if kind == "midterm":
        return "close" if outcome == "close" else None
    return outcome


# Eligibility -------------------------------------------------------------------------------------

def eligibility_problem(unit_type: str, unit_path: str, eligible_types: list[str], region_paths: list[str]) -> str:
    """Why a unit may not apply ("" when it may): its type and region must be among those allowed
    (an empty list allows any)."""
    if eligible_types and unit_type not in eligible_types:
        return _("Units of this type are not eligible for this programme.")
    if region_paths and not any(unit_path.startswith(p) for p in region_paths):
        return _("The unit is outside the programme's eligible regions.")
    return ""


def call_problem(status: str, today: date, opens: date | None, closes: date | None) -> str:
    if status != "open":
        return _("The programme's call for applications is not open.")
    if opens and today < opens:
        return _("The call opens on %(date)s.") % {"date": opens.isoformat()}
    if closes and today > closes:
        return _("The call closed on %(date)s.") % {"date": closes.isoformat()}
    return ""


# Text formats ------------------------------------------------------------------------------------

_SPLIT = re.compile(r"\s*[|｜]\s*")


def parse_indicators(text: str) -> list[dict]:
    """One indicator a line: ``name | unit of measure | up/down | code`` (only the name required).

    Raises ``ValueError`` naming the line for a bad direction or a repeated name.
    """
    out: list[dict] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = _SPLIT.split(line.strip()) + ["", "", ""]
        name, unit, direction, code = parts[0], parts[1], (parts[2] or "up").lower(), parts[3]
        if not name:
            raise ValueError(_("line %(n)s: the indicator has no name") % {"n": number})
        if direction in ("↑", "升", "上升", "提高"):
            direction = "up"
        elif direction in ("↓", "降", "下降", "降低"):
            direction = "down"
        if direction not in ("up", "down"):
            raise ValueError(_("line %(n)s: direction must be up or down, not %(value)r") % {"n": number, "value": parts[2]})
        if name in seen:
            raise ValueError(_("line %(n)s: %(name)s is listed twice") % {"n": number, "name": name})
        seen.add(name)
        out.append({"name": name[:200], "unit": unit[:40], "direction": direction, "code": code[:64]})
    return out


def format_indicators(indicators: list[dict]) -> str:
    lines = []
    for i in indicators:
        parts = [i.get("name", ""), i.get("unit", ""), i.get("direction", "up")]
        if i.get("code"):
            parts.append(i["code"])
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_milestones(text: str) -> list[dict]:
    """One milestone a line: ``YYYY-MM-DD title``, optionally ending in ``[x]`` or ``✓`` when done."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = re.match(r"^(\d{4}-\d{2}-\d{2})\s+(.+?)\s*(\[x\]|\[X\]|✓|√)?$", line)
        if not match:
            raise ValueError(_("line %(n)s: write a date (YYYY-MM-DD), a space and the milestone") % {"n": number})
        try:
            due = date.fromisoformat(match.group(1))
        except ValueError:
            raise ValueError(_("line %(n)s: %(value)s is not a date") % {"n": number, "value": match.group(1)}) from None
        out.append({"due": due.isoformat(), "title": match.group(2)[:300], "done": bool(match.group(3))})
    return sorted(out, key=lambda m: m["due"])


def format_milestones(milestones: list[dict]) -> str:
    return "\n".join(f"{m['due']} {m['title']}{' [x]' if m.get('done') else ''}" for m in milestones)


def parse_number(text: str) -> Decimal:
    cleaned = text.strip().replace(",", "").replace("，", "").rstrip("%％")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def parse_figures(text: str, known: list[str]) -> dict[str, str]:
    """One figure a line: ``indicator name = value`` (or ``：``/``:``). Names must be among
    ``known`` (the programme's indicators) when it is not empty; values must be numbers."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = re.match(r"^(.+?)\s*[=:：]\s*(.+)$", line.strip())
        if not match:
            raise ValueError(_("line %(n)s: write “indicator = value”") % {"n": number})
        name, raw = match.group(1).strip(), match.group(2).strip()
        if known and name not in known:
            raise ValueError(_("line %(n)s: %(name)s is not one of the programme's indicators (%(known)s)")
                             % {"n": number, "name": name, "known": "、".join(known)})
        try:
            value = parse_number(raw)
        except ValueError:
            raise ValueError(_("line %(n)s: %(value)r is not a number") % {"n": number, "value": raw}) from None
        out[name] = str(value)
    return out


def ordered_figures(names: list[str], figures: dict) -> list[tuple[str, object]]:
    """``figures`` (name → value) in the order of ``names`` (the programme's indicators), then any
    other names sorted. PostgreSQL gives a JSON object back in an order of its own (jsonb keeps
    keys by length, then bytes), not as entered, so the stored order is never shown."""
    first = [n for n in names if n in figures]
    return [(n, figures[n]) for n in [*first, *sorted(set(figures) - set(first))]]


def format_figures(figures: dict[str, str]) -> str:
    return "\n".join(f"{k} = {v}" for k, v in figures.items())


def figure_changes(indicators: list[dict], baseline: dict[str, str], latest: dict[str, str]) -> list[dict]:
    """Per indicator: baseline, latest value, change and whether it moved the wanted way."""
    rows = []
    for ind in indicators:
        name = ind.get("name", "")
        base, now = baseline.get(name), latest.get(name)
        change = None
        improved = None
        if base not in (None, "") and now not in (None, ""):
            change = Decimal(str(now)) - Decimal(str(base))
            improved = change > 0 if ind.get("direction", "up") == "up" else change < 0
            if change == 0:
                improved = None
        rows.append({"name": name, "unit": ind.get("unit", ""), "baseline": base, "latest": now,
                     "change": change, "improved": improved})
    return rows
