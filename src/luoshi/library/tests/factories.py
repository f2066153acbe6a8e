"""Building library objects with the real services, for the tests."""

from __future__ import annotations

import uuid

from luoshi.library import services
from luoshi.library.models import PolicyDocument, Solution


def tag() -> str:
    return uuid.uuid4().hex[:8]


def solution(world, unit, *, status: str = "draft", title: str | None = None, **fields) -> Solution:
    """A solution owned by ``unit`` (its own source unit), taken to ``status`` by the superuser."""
    defaults = {"problem": "课后服务内容单一，学生参与率低", "approach": "推进县域普通高中振兴，建设课后服务质量提升机制",
                "results": "课后服务参与率明显提高", "tags": ["课后服务"]}
    defaults.update(fields)
    sol = services.create_solution(world.admin, unit=unit, title=title or f"课后服务提质方案{tag()}",
                                   source_units=[unit], **defaults)
    if status in ("recommended", "national"):
        services.set_solution_status(world.admin, sol, "recommend")
    if status == "national":
        services.set_solution_status(world.admin, sol, "promote")
    return Solution.objects.get(pk=sol.pk)


def policy(world, unit, *, status: str = "drafting", title: str | None = None, **fields) -> PolicyDocument:
    defaults = {"doc_number": f"京教〔2024〕{uuid.uuid4().int % 900 + 1}号", "issuer": "北京市教育委员会",
                "full_text": "为推进教育数字化转型，提出以下意见。"}
    defaults.update(fields)
    doc = services.create_policy(world.admin, unit=unit, title=title or f"关于推进智慧校园建设的通知{tag()}", **defaults)
    if status != "drafting":
        services.set_policy_status(world.admin, doc, "issue")
    return PolicyDocument.objects.get(pk=doc.pk)


def plan_item(world, district):
    """An item led by ``district`` in a published plan of its province."""
    from luoshi.plans import services as plan_services

    plan = plan_services.create_plan(world.admin, title=f"测试规划{tag()}", issuer=district.parent, start_year=2024, end_year=2025)
    item = plan_services.add_item(world.admin, plan, title=f"推进课后服务{tag()}", lead_unit=district)
    plan_services.set_plan_status(world.admin, plan, "published")
    return item
