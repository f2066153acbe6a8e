"""State machines of the library, without database access (tested on their own).

Solutions: draft → recommended → promoted nationally; a recommended or promoted solution can be
withdrawn to draft (e.g. when conditions changed). Policy documents: drafting → issued; an issued
document becomes revised or repealed when a later document revises or repeals it; a revised
document can still be repealed. Everything else is refused with a message naming both states.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DRAFT, RECOMMENDED, NATIONAL = "draft", "recommended", "national"
DRAFTING, ISSUED, REVISED, REPEALED = "drafting", "issued", "revised", "repealed"

SOLUTION_STATES = {DRAFT: gettext_lazy("Draft"), RECOMMENDED: gettext_lazy("Recommended"),
                   NATIONAL: gettext_lazy("Promoted nationally")}
POLICY_STATES = {DRAFTING: gettext_lazy("Drafting"), ISSUED: gettext_lazy("Issued"), REVISED: gettext_lazy("Revised"),
                 REPEALED: gettext_lazy("Repealed")}

# action -> (states it may start from, state it leads to)
SOLUTION_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "recommend": (frozenset({DRAFT}), RECOMMENDED),
    "promote": (frozenset({RECOMMENDED}), NATIONAL),
    "withdraw": (frozenset({RECOMMENDED, NATIONAL}), DRAFT),
}
POLICY_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "issue": (frozenset({DRAFTING}), ISSUED),
    "revise": (frozenset({ISSUED}), REVISED),
    "repeal": (frozenset({ISSUED, REVISED}), REPEALED),
}
ACTION_LABELS = {
    "recommend": gettext_lazy("recommend"), "promote": gettext_lazy("promote nationally"),
    "withdraw": gettext_lazy("withdraw"), "issue": gettext_lazy("issue"), "revise": gettext_lazy("mark as revised"),
    "repeal": gettext_lazy("repeal"),
}


class IllegalTransition(ValueError):
    """An action that the current state does not allow."""


@dataclass(frozen=True)
class Machine:
    transitions: dict[str, tuple[frozenset[str], str]]
    labels: dict[str, object]

    def target(self, state: str, action: str) -> str:
        """The state ``action`` leads to from ``state``; ``IllegalTransition`` when it may not."""
        if action not in self.transitions:
            raise IllegalTransition(_("Unknown action: %(action)s.") % {"action": action})
        sources, target = self.transitions[action]
        if state not in sources:
            allowed = ", ".join(str(self.labels[s]) for s in sorted(sources))
            raise IllegalTransition(
                _("Cannot %(action)s: the status is %(state)s (possible only from: %(allowed)s).")
                % {"action": ACTION_LABELS.get(action, action), "state": self.labels.get(state, state), "allowed": allowed})
        return target

    def actions(self, state: str) -> list[str]:
        """The actions possible from ``state``, in table order."""
        return [a for a, (sources, _t) in self.transitions.items() if state in sources]


SOLUTIONS = Machine(SOLUTION_TRANSITIONS, SOLUTION_STATES)
POLICIES = Machine(POLICY_TRANSITIONS, POLICY_STATES)
