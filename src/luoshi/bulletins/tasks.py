"""Background job of the bulletins domain (run by ``luoshi worker``)."""

from __future__ import annotations

from django_tasks import task

from luoshi.core.context import batch


@task()
def build_bulletin(bulletin_id: int) -> dict[str, int]:
    """Write the PDF of a requested bulletin, recording progress as it goes."""
    from luoshi.bulletins import build

    with batch("worker"):
        return build.build(bulletin_id)
