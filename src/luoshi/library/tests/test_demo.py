"""The library's demo: promoted solutions adopted in other provinces, the registry's documents."""

from luoshi.library import demo
from luoshi.library.models import Adoption, PolicyDocument, Solution


def test_the_demo_loads_once_and_shares_solutions_across_provinces(world):
    from luoshi.plans import demo as plan_demo

    admin = world.admin
    plan_demo.load(admin)
    plan_demo.load_current(admin)
    first = demo.load(admin)
    again = demo.load(admin)
    assert first["solutions"] == again["solutions"] and again["adoptions"] == 0
    assert first["adoptions"] >= 6
    national = Solution.objects.filter(status="national")
    assert national.count() >= 3
    # adopted by units outside the source units' provinces
    for adoption in Adoption.objects.select_related("solution", "unit"):
        sources = adoption.solution.source_units.all()
        assert not any(s.path.startswith(adoption.unit.path) for s in sources)
    gangyao = PolicyDocument.objects.get(title=demo.GANGYAO)
    assert gangyao.status == "issued" and not gangyao.is_illustrative and gangyao.plan_items.exists()
    assert all("示例" in d.title for d in PolicyDocument.objects.filter(is_illustrative=True))
    revised = PolicyDocument.objects.get(title__startswith="北京市中小学课后服务管理办法（2022年版）")
    assert revised.status == "revised"
