"""Permission battery for the audit trail: auditors and admins read the records of objects in
their scope; everyone else gets 403 on the audit pages."""

from __future__ import annotations

import uuid

from django.contrib.contenttypes.models import ContentType
from django.http import Http404

from luoshi.audit import queries
from luoshi.audit.models import AuditRecord
from luoshi.core import authz
from luoshi.core.context import batch
from luoshi.core.testing.battery import Action, Http, ModelSpec, generate
from luoshi.orgs import services as org_services
from luoshi.orgs.models import OrgUnit


def make_record(world, district) -> AuditRecord:
    """The record of a new school created below ``district`` by the superuser."""
    with batch("system"):
        unit = org_services.create_unit(world.admin, code="T" + uuid.uuid4().hex[:10].upper(), name="审计测试学校",
                                        type="school", parent=district)
    return AuditRecord.objects.get(content_type=ContentType.objects.get_for_model(OrgUnit), object_id=str(unit.pk))


AUDIT_RECORD = ModelSpec(
    model=AuditRecord,
    make=make_record,
    in_scope="beijing_auditor",
    wrong_role="beijing_reporter",   # sees the unit, may not read its audit trail
    out_of_scope="shanghai_admin",   # may read the audit trail, but only of 上海
    actions=(
        Action(
            "list", listing=True, wrong_role="beijing_reporter",
            ui=Http("get", lambda c: "/audit/", data=lambda c: {"batch": str(c.obj.batch_id)},
                    shows=lambda c, r: f'href="/audit/{c.obj.pk}/"' in r.content.decode()),
            service=lambda user, c: queries.search(user, batch=str(c.obj.batch_id)),
        ),
        Action(
            "detail", wrong_role="beijing_reporter",
            ui=Http("get", lambda c: f"/audit/{c.obj.pk}/"),
            service=lambda user, c: authz.get_or_404(user, AuditRecord, pk=c.obj.pk),
            # The service layer knows only scope: a reader without the role sees no record at all.
            expect={("service", "wrong_role"): Http404},
        ),
    ),
)

SPECS = [AUDIT_RECORD]

test_permissions = generate(SPECS)
