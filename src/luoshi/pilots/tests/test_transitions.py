"""Every forbidden transition of the pilot workflow (issue 13), generated from the machines in
``pilots/rules.py`` and tried through the services, so a transition added to a machine is covered
here automatically. The object is put into each state directly (some states take a long walk to
reach); the action goes through the real service, which must refuse it with a message naming the
state and the action, and change nothing.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from luoshi.pilots import rules, services
from luoshi.pilots.models import Application, Pilot, Programme, Review
from luoshi.pilots.tests.conftest import SCHOOL, make_application, make_programme, make_review

REASON = "依据评审意见。"


def _forbidden(machine: rules.Machine, states) -> list[tuple[str, str]]:
    return [(state, action) for action, (sources, _t) in machine.transitions.items() for state in states if state not in sources]


def _refusal(machine: rules.Machine, state_label, action: str) -> str:
    return f"This {machine.name} is in state “{state_label}” and cannot be {machine.labels[action]}."


# Programmes -------------------------------------------------------------------------------------

PROGRAMME_FORBIDDEN = _forbidden(rules.PROGRAMME, [s.value for s in Programme.Status])


@pytest.mark.parametrize(("state", "action"), PROGRAMME_FORBIDDEN, ids=[f"{s}-{a}" for s, a in PROGRAMME_FORBIDDEN])
def test_every_forbidden_programme_transition_is_refused(world, state, action):
    programme = make_programme(world, status="draft")
    Programme.objects.filter(pk=programme.pk).update(status=state)
    with pytest.raises(ValidationError) as refused:
        services.set_programme_status(world.user("ministry_planner"), programme, action)
    assert _refusal(rules.PROGRAMME, Programme.Status(state).label, action) in refused.value.messages
    assert Programme.objects.get(pk=programme.pk).status == state


# Applications -----------------------------------------------------------------------------------

APPLICATION_FORBIDDEN = _forbidden(rules.APPLICATION, [s.value for s in Application.State])


def _apply(world, application, action):
    if action == "submit":
        return services.submit_application(world.admin, application)
    if action == "withdraw":
        return services.withdraw_application(world.admin, application)
    # The superuser decides: a draft is not the programme reviewers' to see yet, and this test is about
    # the state machine, not about who may look.
    return services.decide_application(world.admin, application, action, REASON)


@pytest.mark.parametrize(("state", "action"), APPLICATION_FORBIDDEN, ids=[f"{s}-{a}" for s, a in APPLICATION_FORBIDDEN])
def test_every_forbidden_application_transition_is_refused(world, state, action):
    application = make_application(world, world.unit(SCHOOL), submitted=False)
    Application.objects.filter(pk=application.pk).update(state=state)
    with pytest.raises(ValidationError) as refused:
        _apply(world, application, action)
    assert _refusal(rules.APPLICATION, Application.State(state).label, action) in refused.value.messages
    assert Application.objects.get(pk=application.pk).state == state
    assert not Pilot.objects.filter(application=application).exists()


# Reviews ----------------------------------------------------------------------------------------

REVIEW_FORBIDDEN = _forbidden(rules.REVIEW, [s.value for s in Review.State])


def _review_action(world, review, action, outcome="continue"):
    if action == "submit":
        return services.submit_review(world.admin, review)
    if action == "return":
        return services.return_review(world.admin, review, REASON)
    return services.decide_review(world.admin, review, outcome, REASON)


@pytest.mark.parametrize(("state", "action"), REVIEW_FORBIDDEN, ids=[f"{s}-{a}" for s, a in REVIEW_FORBIDDEN])
def test_every_forbidden_review_transition_is_refused(world, state, action):
    review = make_review(world, world.unit(SCHOOL), submitted=False)
    Review.objects.filter(pk=review.pk).update(state=state)
    pilot_state = Pilot.objects.get(pk=review.pilot_id).state
    with pytest.raises(ValidationError) as refused:
        _review_action(world, review, action)
    assert _refusal(rules.REVIEW, Review.State(state).label, action) in refused.value.messages
    assert Review.objects.get(pk=review.pk).state == state
    assert Pilot.objects.get(pk=review.pilot_id).state == pilot_state


# Pilots: their transitions follow from a final review's -----------------------------------------

# pilot action -> (the review state it starts from, the review action, its outcome)
CAUSES = {
    "submit_review": ("draft", "submit", None),
    "review_returned": ("submitted", "return", None),
    "promote": ("submitted", "decide", "promote"),
    "continue": ("submitted", "decide", "continue"),
    "adjust": ("submitted", "decide", "adjust"),
    "close": ("submitted", "decide", "close"),
}
PILOT_FORBIDDEN = _forbidden(rules.PILOT, [s.value for s in Pilot.State])


def test_every_pilot_action_has_a_cause():
    assert set(CAUSES) == set(rules.PILOT.transitions)


@pytest.mark.parametrize(("state", "action"), PILOT_FORBIDDEN, ids=[f"{s}-{a}" for s, a in PILOT_FORBIDDEN])
def test_every_forbidden_pilot_transition_is_refused(world, state, action):
    review_state, review_action, outcome = CAUSES[action]
    review = make_review(world, world.unit(SCHOOL), submitted=False)
    Review.objects.filter(pk=review.pk).update(state=review_state)
    Pilot.objects.filter(pk=review.pilot_id).update(state=state)
    with pytest.raises(ValidationError) as refused:
        _review_action(world, review, review_action, outcome)
    assert _refusal(rules.PILOT, Pilot.State(state).label, action) in refused.value.messages
    # the review's own step is undone with the pilot's
    assert Review.objects.get(pk=review.pk).state == review_state
    assert Pilot.objects.get(pk=review.pilot_id).state == state
