"""Two saves of one unit's figures at once (PostgreSQL, where rows are locked): a save holds the
stored values it met until it commits, so a second save waits for it and then checks against
what the first wrote, instead of both deciding from the same old values (issue 13: the lock of
``save_values`` had no test, and SQLite, where the mutation sweeps run, has no row locks)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from luoshi.core.testing.skips import requires_postgres
from luoshi.indicators import services
from luoshi.indicators.models import DataValue

E = services.Entry


def _lock_from_another_connection(pks: list[int]) -> bool:
    """Whether a second connection can lock these values at once (``NOWAIT``)."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params) as other, other.cursor() as cursor:
        try:
            cursor.execute(f"SELECT id FROM {DataValue._meta.db_table} WHERE id = ANY(%s) FOR UPDATE NOWAIT", [pks])
        except psycopg.errors.LockNotAvailable:
            return False
        return len(cursor.fetchall()) == len(pks)


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_a_save_holds_the_values_it_met_until_it_commits(world, setup):
    unit = world.unit("110101")
    first = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                                 entries=[E("TEACH", "10"), E("TEACH_F", "8")])
    assert (first.saved, first.errors) == (2, [])
    pks = list(DataValue.objects.filter(unit=unit, period="2024").values_list("pk", flat=True))
    assert len(pks) == 2 and _lock_from_another_connection(pks)  # nobody holds them between saves

    with transaction.atomic():
        again = services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                                     entries=[E("TEACH", "10"), E("TEACH_F", "8")])
        assert (again.saved, again.unchanged) == (0, 2)  # nothing written: only the lock holds them
        assert not _lock_from_another_connection(pks)
    assert _lock_from_another_connection(pks)


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_the_inline_check_locks_nothing(world, setup):
    unit = world.unit("110101")
    services.save_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                         entries=[E("TEACH", "10"), E("TEACH_F", "8")])
    pks = list(DataValue.objects.filter(unit=unit, period="2024").values_list("pk", flat=True))
    with transaction.atomic():
        services.check_values(world.beijing_reporter, dataset=setup.dataset, unit=unit, period="2024",
                              entries=[E("TEACH", "11"), E("TEACH_F", "8")])
        assert _lock_from_another_connection(pks)
