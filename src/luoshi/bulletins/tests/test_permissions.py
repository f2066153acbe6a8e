"""Permission battery for bulletins (see ``luoshi.core.testing.battery``).

The bulletin is about the district 110101 东城区 (310101 黄浦区 for the out-of-scope counterpart).
北京's admin covers the district's branch; 上海's admin does not see it; 北京's reporter sees it
but may not ask for one (bulletins are made by reviewers, planners and admins).

The battery's objects carry a stand-in PDF so that the download can be checked without the
worker; writing real PDFs is tested in ``test_bulletins.py``.
"""

from __future__ import annotations

from luoshi.bulletins import queries, services
from luoshi.bulletins.models import Bulletin
from luoshi.core import authz
from luoshi.core.testing.battery import Action, Http, ModelSpec, generate

PDF = b"%PDF-1.7 stand-in for the permission battery"


def make_bulletin(world, district) -> Bulletin:
    bulletin = services.request_bulletin(world.admin, district, "2024", enqueue=False)
    services.finish(bulletin.pk, PDF)
    return Bulletin.objects.get(pk=bulletin.pk)


def _district(world, home):
    return home


def _count_before(c) -> None:
    c.before = Bulletin.objects.filter(unit=c.obj).count()


def _added(c) -> bool:
    return Bulletin.objects.filter(unit=c.obj).count() > getattr(c, "before", 0)


def _lists(c, response) -> bool:
    return f'href="/bulletins/{c.pk}/"' in response.content.decode()


SPECS = [
    ModelSpec(
        model=Bulletin,
        make=make_bulletin,
        actions=(
            Action(
                "list", listing=True,
                ui=Http("get", lambda c: "/bulletins/", shows=_lists),
                service=lambda user, c: queries.bulletins(user),
            ),
            Action(
                "detail",
                ui=Http("get", lambda c: f"/bulletins/{c.pk}/"),
                service=lambda user, c: authz.get_or_404(user, Bulletin, pk=c.pk),
            ),
            Action(
                "download",
                ui=Http("get", lambda c: f"/bulletins/{c.pk}/pdf/"),
            ),
            Action(
                "add", permission="add", target=_district, audit="create", effect=_added, prepare=_count_before,
                ui=Http("post", lambda c: "/bulletins/new/", ok=302, data=lambda c: {"unit": c.obj.code, "period": "2024"}),
                service=lambda user, c: services.request_bulletin(user, c.obj, "2024", enqueue=False),
            ),
        ),
    ),
]

test_permissions = generate(SPECS)
