"""Chinese full-text search: segmentation, ranking, highlighting, filters and scope."""

from __future__ import annotations

import pytest

from luoshi.library import queries, search, services
from luoshi.library.queries import PolicyFilters, SolutionFilters
from luoshi.library.tests import factories


def _titles(results) -> list[str]:
    return [s.title for s in results]


def test_segmentation_keeps_words_inside_longer_phrases():
    tokens = search.index_tokens("推进县域普通高中振兴行动")
    assert "普通" in tokens and "高中" in tokens and "普通高中" in tokens


def test_it_finds_a_solution_by_a_word_only_inside_a_longer_phrase(world):
    # 质量 appears only inside 服务质量 (jieba's precise mode keeps 服务质量 as one word).
    sol = factories.solution(world, world.unit("110101"), title=f"课后服务质量提升机制{factories.tag()}",
                             problem="学校课后服务质量参差", approach="建立课后服务质量提升行动方案", results="", tags=[])
    assert "质量" not in search.query_tokens("服务质量")
    found = queries.solutions(world.beijing_planner, SolutionFilters(q="质量"))
    assert sol.pk in [s.pk for s in found]


def test_it_accepts_a_query_in_traditional_script(world):
    sol = factories.solution(world, world.unit("110101"), title=f"县域普通高中振兴{factories.tag()}")
    found = queries.solutions(world.beijing_planner, SolutionFilters(q="縣域普通高中"))
    assert sol.pk in [s.pk for s in found]


def test_every_query_word_must_match(world):
    unit = world.unit("110101")
    both = factories.solution(world, unit, title=f"智慧课堂与教师培训{factories.tag()}", problem="教师数字素养不足")
    one = factories.solution(world, unit, title=f"智慧课堂建设{factories.tag()}", problem="设备老旧")
    found = [s.pk for s in queries.solutions(world.beijing_planner, SolutionFilters(q="智慧课堂 教师"))]
    assert both.pk in found and one.pk not in found


def test_title_matches_rank_above_body_matches(world):
    unit = world.unit("110101")
    word = "研学旅行"
    body = factories.solution(world, unit, title=f"劳动教育清单{factories.tag()}", approach=f"结合{word}开展劳动实践")
    title = factories.solution(world, unit, title=f"{word}课程化{factories.tag()}")
    found = [s.pk for s in queries.solutions(world.beijing_planner, SolutionFilters(q=word))]
    assert found.index(title.pk) < found.index(body.pk)


def test_results_page_like_a_list_and_count(world):
    unit = world.unit("110101")
    marker = "星光" + factories.tag()[:2]
    made = [factories.solution(world, unit, title=f"{marker}计划第{i}期") for i in range(3)]
    results = queries.solutions(world.beijing_planner, SolutionFilters(q="星光计划"))
    assert results.count() >= 3
    page = results[0:2]
    assert len(page) == 2
    assert {s.pk for s in made} <= {s.pk for s in results}


def test_highlight_marks_the_query_words_and_escapes_the_rest():
    html = search.highlight("<b>课后服务</b>质量", ["服务"])
    assert html == "&lt;b&gt;课后<mark>服务</mark>&lt;/b&gt;质量"


def test_highlight_marks_traditional_text_for_a_simplified_word():
    assert "<mark>縣域</mark>" in search.highlight("縣域普通高中", ["县域"])


def test_filters_by_region_level_plan_item_and_tag(world):
    district = world.unit("110101")
    school = district.children.filter(type="school").first()
    tagged = factories.solution(world, school, tags=["家校共育"])
    other = factories.solution(world, world.unit("310101"))
    user = world.admin
    by_region = {s.pk for s in queries.solutions(user, SolutionFilters(region=world.unit("110000")))}
    assert tagged.pk in by_region and other.pk not in by_region
    assert tagged.level == "school"
    by_level = {s.pk for s in queries.solutions(user, SolutionFilters(level="school"))}
    assert tagged.pk in by_level and other.pk not in by_level
    by_tag = {s.pk for s in queries.solutions(user, SolutionFilters(tag="家校共育", q="课后服务"))}
    assert by_tag == {tagged.pk} or tagged.pk in by_tag and other.pk not in by_tag


def test_filter_by_plan_item(world):
    item = factories.plan_item(world, world.unit("110101"))
    sol = factories.solution(world, world.unit("110101"), plan_items=[item])
    rest = factories.solution(world, world.unit("110101"))
    found = {s.pk for s in queries.solutions(world.admin, SolutionFilters(plan_item=item.pk))}
    assert sol.pk in found and rest.pk not in found


def test_search_results_are_scoped(world):
    title = f"县域教研共同体{factories.tag()}"
    sol = factories.solution(world, world.unit("110101"), title=title)
    assert sol.pk in [s.pk for s in queries.solutions(world.beijing_reporter, SolutionFilters(q="教研共同体"))]
    for outsider in ("shanghai_planner", "nobody"):
        assert sol.pk not in [s.pk for s in queries.solutions(world.user(outsider), SolutionFilters(q="教研共同体"))]
    services.set_solution_status(world.admin, sol, "recommend")
    assert sol.pk not in [s.pk for s in queries.solutions(world.shanghai_planner, SolutionFilters(q="教研共同体"))]
    services.set_solution_status(world.ministry_planner, sol, "promote")
    for reader in ("shanghai_planner", "nobody"):
        assert sol.pk in [s.pk for s in queries.solutions(world.user(reader), SolutionFilters(q="教研共同体"))]


def test_similar_solutions_share_characteristic_words(world):
    unit = world.unit("110101")
    base = factories.solution(world, unit, title=f"劳动教育基地共建{factories.tag()}", problem="劳动教育缺少实践场所",
                              approach="学校与农场共建劳动教育实践基地", tags=["劳动教育"])
    near = factories.solution(world, unit, title=f"劳动教育课程清单{factories.tag()}", problem="劳动教育课时落实难",
                              approach="编制劳动教育清单", tags=["劳动教育"])
    far = factories.solution(world, unit, title=f"外语口语测评{factories.tag()}", problem="口语测评成本高",
                             approach="人机对话测评", tags=["外语"])
    similar = [s.pk for s in queries.similar(world.beijing_planner, base)]
    assert near.pk in similar and far.pk not in similar and base.pk not in similar


def test_policy_search_finds_words_in_the_full_text_and_by_number(world):
    doc = factories.policy(world, world.unit("110101"), status="issued",
                           full_text="各区要加快推进中小学人工智能教育普及，建设一批示范学校。")
    found = [d.pk for d in queries.policies(world.shanghai_planner, PolicyFilters(q="人工智能"))]
    assert doc.pk in found
    by_number = [d.pk for d in queries.policies(world.admin, PolicyFilters(q=doc.doc_number))]
    assert doc.pk in by_number


def test_drafting_policies_stay_in_scope(world):
    doc = factories.policy(world, world.unit("110101"), full_text="起草中的学位管理办法征求意见稿")
    assert doc.pk in [d.pk for d in queries.policies(world.beijing_reporter, PolicyFilters(q="学位管理"))]
    assert doc.pk not in [d.pk for d in queries.policies(world.shanghai_planner, PolicyFilters(q="学位管理"))]
    assert doc.pk not in [d.pk for d in queries.policies(world.nobody, PolicyFilters(q="学位管理"))]


def test_an_edited_solution_is_found_by_its_new_words(world):
    sol = factories.solution(world, world.unit("110101"))
    services.update_solution(world.admin, sol, {"approach": "引入非遗传承人进校园"}, expected_version=sol.version)
    assert sol.pk in [s.pk for s in queries.solutions(world.admin, SolutionFilters(q="非遗"))]


def test_a_deleted_solution_leaves_the_index(world):
    sol = factories.solution(world, world.unit("110101"), title=f"独一无二的蝴蝶标本馆{factories.tag()}")
    services.delete_solution(world.admin, sol)
    assert list(queries.solutions(world.admin, SolutionFilters(q="蝴蝶标本"))) == []


@pytest.mark.parametrize("query", ["", "  ", "，。！"])
def test_blank_or_punctuation_queries_find_nothing_or_list(world, query):
    results = queries.solutions(world.admin, SolutionFilters(q=query))
    assert results.count() >= 0


def test_a_broad_query_ranks_title_matches_first_then_newest(world, monkeypatch):
    monkeypatch.setattr(search, "RANK_ALL", 1)  # SQLite: every query counts as broad here
    monkeypatch.setattr(search, "RANK_CANDIDATES", 1)  # PostgreSQL: one row ranked in full, the rest by title then newest
    unit = world.unit("110101")
    word = "航模" + factories.tag()[:3]
    old_body = factories.solution(world, unit, title=f"科技社团{factories.tag()}", approach=f"开展{word}活动")
    in_title = factories.solution(world, unit, title=f"{word}进校园{factories.tag()}")
    new_body = factories.solution(world, unit, title=f"课后社团{factories.tag()}", approach=f"组织{word}比赛")
    found = [s.pk for s in queries.solutions(world.beijing_planner, SolutionFilters(q=word))]
    assert found == [in_title.pk, new_body.pk, old_body.pk]
    outsider = [s.pk for s in queries.solutions(world.shanghai_planner, SolutionFilters(q=word))]
    assert outsider == []


def _broad_world(world, word: str):
    """Two solutions with ``word`` in the title, five with it in the text only (oldest first), and
    one out of the Beijing planner's scope."""
    unit = world.unit("110101")
    body = [factories.solution(world, unit, title=f"社团活动{i}{factories.tag()}", approach=f"开展{word}活动，每周{i + 1}次")
            for i in range(5)]
    title = [factories.solution(world, unit, title=f"{word}进校园{i}{factories.tag()}") for i in range(2)]
    factories.solution(world, world.unit("310101"), title=f"{word}联赛{factories.tag()}")
    return title, body


@pytest.mark.parametrize("candidates", [1, 3, 200])
def test_pages_of_a_search_neither_repeat_nor_skip(world, monkeypatch, candidates):
    monkeypatch.setattr(search, "RANK_ALL", 1)
    monkeypatch.setattr(search, "RANK_CANDIDATES", candidates)
    word = "围棋" + factories.tag()[:3]
    title, body = _broad_world(world, word)
    results = queries.solutions(world.beijing_planner, SolutionFilters(q=word))
    assert results.count() == 7
    paged = [s.pk for start in range(0, 8, 2) for s in results[start:start + 2]]
    assert paged == [s.pk for s in results]
    assert sorted(paged) == sorted(s.pk for s in title + body)
    assert set(paged[:2]) == {s.pk for s in title}  # title matches first
    assert results[7:20] == [] and results[3].pk == paged[3]


def test_the_api_pages_a_search_with_the_count_of_every_match(world, client):
    word = "象棋" + factories.tag()[:3]
    title, body = _broad_world(world, word)
    client.force_login(world.beijing_planner)
    first = client.get("/api/v1/solutions", {"q": word, "limit": 4}).json()
    rest = client.get("/api/v1/solutions", {"q": word, "limit": 4, "offset": 4}).json()
    assert first["count"] == rest["count"] == 7
    ids = [s["id"] for s in first["items"] + rest["items"]]
    assert len(ids) == 7 and set(ids) == {s.pk for s in title + body}
    assert set(ids[:2]) == {s.pk for s in title}


@pytest.mark.parametrize("candidates", [2, 200])
def test_the_count_comes_with_the_first_page_whichever_is_asked_first(world, monkeypatch, django_assert_num_queries,
                                                                        candidates):
    """A search's count and its first pages come from the same statements (PostgreSQL: one, with a
    window count; SQLite: the list of matching ids), asked in either order; the count stays exact
    beyond the candidates ranked in full."""
    monkeypatch.setattr(search, "RANK_ALL", 1)
    monkeypatch.setattr(search, "RANK_CANDIDATES", candidates)
    word = "跳绳" + factories.tag()[:3]
    title, body = _broad_world(world, word)
    page_first = queries.solutions(world.beijing_planner, SolutionFilters(q=word), rows=False)
    first = page_first.page_ids(0, 2)
    count_first = queries.solutions(world.beijing_planner, SolutionFilters(q=word), rows=False)
    with django_assert_num_queries(0):
        assert page_first.count() == 7
    assert count_first.count() == 7
    with django_assert_num_queries(0):
        assert count_first.page_ids(0, 2) == first
    assert set(first) == {s.pk for s in title}
    everything = page_first.page_ids(0, None)
    assert sorted(everything) == sorted(s.pk for s in title + body)
    assert page_first.page_ids(2, 5) == everything[2:7] and page_first.page_ids(7, 5) == []
    nothing = queries.solutions(world.beijing_planner, SolutionFilters(q=f"冰壶{factories.tag()[:3]}"), rows=False)
    assert nothing.count() == 0 and nothing.page_ids(0, 20) == []


def test_policy_search_counts_and_pages(world, monkeypatch):
    monkeypatch.setattr(search, "RANK_CANDIDATES", 2)
    word = "学位" + factories.tag()[:3]
    unit = world.unit("110101")
    docs = [factories.policy(world, unit, status="issued", full_text=f"第{i}条 {word}管理") for i in range(4)]
    results = queries.policies(world.shanghai_planner, PolicyFilters(q=word))
    assert results.count() == 4
    assert sorted(d.pk for d in results[0:2] + results[2:4]) == sorted(d.pk for d in docs)


def test_the_policy_api_lists_links_in_a_constant_number_of_queries(world, client, django_assert_max_num_queries):
    word = "校车" + factories.tag()[:3]
    unit = world.unit("110101")
    item = factories.plan_item(world, unit)
    sol = factories.solution(world, unit)
    old = factories.policy(world, unit, status="issued", full_text=f"{word}安全管理办法（旧）")
    docs = [factories.policy(world, unit, full_text=f"{word}安全管理办法第{i}版", plan_items=[item], solutions=[sol],
                             revises=[old]) for i in range(3)]
    client.force_login(world.admin)
    with django_assert_max_num_queries(16):
        body = client.get("/api/v1/policies", {"q": word}).json()
    assert body["count"] == 4
    by_id = {d["id"]: d for d in body["items"]}
    for doc in docs:
        assert by_id[doc.pk]["plan_items"] == [item.pk] and by_id[doc.pk]["solutions"] == [sol.pk]
        assert by_id[doc.pk]["revises"] == [old.pk] and by_id[doc.pk]["repeals"] == []
    assert by_id[old.pk]["revises"] == []
