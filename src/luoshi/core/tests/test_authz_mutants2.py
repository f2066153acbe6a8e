"""core/authz.py: more of the cases its complete mutation run showed nobody checked (issue 13).

As in ``test_authz_mutants.py``, each test states what a user would find (which units they see
and may act in, whether a lookup answers 404 or 403, which units a choice list offers).
"""

from __future__ import annotations

import pytest

from luoshi.core import authz
from luoshi.orgs.models import OrgUnit
from luoshi.plans.models import Plan

from .conftest import fresh


@pytest.fixture
def compiled_afresh():
    """The grants query is compiled once per process (``core.precompiled``): compile it again in
    this test (and again after it), so what is checked is the query as the code builds it now."""
    authz._grants_query.cache_clear()
    yield
    authz._grants_query.cache_clear()


def test_the_grants_are_the_users_own_memberships_in_active_units_with_path_reach_role_and_unit(
        world, person, compiled_afresh):
    user, grant = person
    grant("110000", "planner")
    grant("110101", "viewer", covers_below=False)
    grant("310000", "reporter")
    OrgUnit.objects.filter(code="310000").update(is_active=False)
    beijing, dongcheng = world.fresh_unit("110000"), world.fresh_unit("110101")
    authz._grants_query.cache_clear()
    user = fresh(user)
    assert sorted(authz.grants(user), key=lambda g: g.path) == [
        authz.Grant(beijing.path, True, "planner", beijing.pk),
        authz.Grant(dongcheng.path, False, "viewer", dongcheng.pk),
    ]
    # what that means for the user: plans may be added in Beijing and below, nowhere in Shanghai
    assert authz.can_in_unit(user, "add", Plan, dongcheng)
    assert not authz.can_in_unit(user, "add", Plan, world.fresh_unit("310000"))
    assert not authz.has_any_role(user, "reporter")
