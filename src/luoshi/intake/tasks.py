"""Background jobs of the intake domain (run by ``luoshi worker``)."""

from __future__ import annotations

from django_tasks import task

from luoshi.core.context import batch


@task()
def parse_draft(draft_id: int) -> str:
    """Read a large uploaded policy document; progress and result are kept on its draft."""
    from luoshi.intake import services

    with batch("worker"):
        return services.run(draft_id)
