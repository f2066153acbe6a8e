"""Found in the security review: a draft's end is audited also when it expires."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from luoshi.audit.models import AuditRecord
from luoshi.intake import services
from luoshi.intake.models import Draft

from .conftest import fixture_text


def test_it_audits_the_expiry_of_a_draft(world) -> None:
    draft = services.start(world.user("ministry_planner"), data=fixture_text("city_conference_noisy.txt"))
    Draft.objects.filter(pk=draft.pk).update(created_at=timezone.now() - timedelta(hours=services.DRAFT_HOURS, minutes=1))
    assert services.purge_expired() == 1
    assert not Draft.objects.filter(pk=draft.pk).exists()
    record = AuditRecord.objects.get(content_type__model="draft", object_id=str(draft.pk), action="delete")
    assert record.actor is None and record.before["size"] == draft.size
