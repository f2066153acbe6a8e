"""Fixtures shared by the core tests."""

from __future__ import annotations

import pytest

from luoshi.accounts import services as account_services
from luoshi.orgs import services as org_services


def fresh(user):
    """The user as the next request would load it (no cached grants)."""
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def person(world):
    """A new user with no membership, and a way to give them one (by the superuser)."""
    user = account_services.create_user(world.admin, username="m13_person", password="x-m13-secret",
                                        display_name="试用者")

    def grant(code: str, role: str, covers_below: bool = True):
        org_services.add_membership(world.admin, user=user, unit=world.unit(code), role=role,
                                    covers_below=covers_below)
        return fresh(user)

    return user, grant
