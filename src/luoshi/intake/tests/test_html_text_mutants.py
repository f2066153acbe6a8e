"""The main text of an HTML page (``intake/html_text.py``), rule by rule (issue 13, mutation
testing): the title, date and source read from the page, what is dropped silently, what is
dropped and reported, which block is the main text and how blocks become lines. The pages are
written for these tests."""

from __future__ import annotations

import warnings

import pytest

from luoshi.intake.html_text import html_to_text

pytestmark = pytest.mark.usefixtures("endless_loops_fail")

BODY = "<p>一、健全工作机制，明确各方责任。</p><p>二、加强督促检查，确保任务落实。</p>"


def _page(head: str = "", body: str = BODY) -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def _removed(result) -> list[tuple[str, str]]:
    return [(r.kind, r.text) for r in result.removed]


# Title, date, source -----------------------------------------------------------------------------------

def test_the_title_date_and_source_come_from_the_pages_meta_fields():
    head = ('<meta name="articletitle" content="  关于做好年度工作的通知 ">'
            '<meta name="PubDate" content="2024-03-01 09:30">'
            '<meta name="ContentSource" content="市教育局">'
            "<title>网站标题</title>")
    result = html_to_text(_page(head, "<h1>页面大标题</h1>" + BODY))
    assert (result.title, result.date, result.source) == ("关于做好年度工作的通知", "2024-03-01 09:30", "市教育局")


def test_open_graph_properties_are_read_when_the_named_fields_are_missing_or_empty():
    head = ('<meta name="ArticleTitle" content="  ">'
            '<meta property="og:title" content="开放图谱标题">'
            '<meta property="article:published_time" content="2024-05-06">'
            '<meta property="og:site_name" content="某某网">')
    result = html_to_text(_page(head))
    assert (result.title, result.date, result.source) == ("开放图谱标题", "2024-05-06", "某某网")


def test_a_meta_name_must_match_whole():
    head = '<meta name="xArticleTitle" content="不是标题"><meta name="ArticleTitles" content="也不是">'
    assert html_to_text(_page(head)).title is None


def test_without_meta_fields_the_title_is_the_heading_then_the_window_title():
    result = html_to_text(_page("<title>窗口\n  标题</title>", "<h1> 第一\n 标题 </h1>" + BODY))
    # The heading reads as the text shows it: a source line break between Chinese characters is no space.
    assert result.title == "第一标题" and result.date is None and result.source is None
    result = html_to_text(_page("", "<h1> First\n heading </h1>" + BODY))
    assert result.title == "First heading"
    assert html_to_text(_page("<title> 窗口\n  标题 </title>")).title == "窗口 标题"
    assert html_to_text(_page("<title> 窗口标题 </title>", "<h1> </h1>" + BODY)).title == "窗口标题"
    assert html_to_text(_page("<title>  </title>")).title is None


# Dropped without a report ---------------------------------------------------------------------------------

def test_scripts_styles_and_forms_are_dropped_without_a_report():
    body = ("<script>var a = '脚本';</script><style>p {color: red}</style><form>表单<input value='输入'>"
            "<button>按钮</button></form>" + BODY + "<!-- 注释文字 -->")
    result = html_to_text(_page("", body))
    assert result.text == "一、健全工作机制，明确各方责任。\n二、加强督促检查，确保任务落实。"
    assert result.removed == []


# Hidden and navigation: dropped and reported ------------------------------------------------------------

@pytest.mark.parametrize("element", [
    '<span hidden>隐藏甲</span>',
    '<span aria-hidden="TRUE">隐藏甲</span>',
    '<span style="color:red; DISPLAY : none">隐藏甲</span>',
    '<span style="visibility:hidden">隐藏甲</span>',
    '<span style="font-size:0px;">隐藏甲</span>',
    '<span style="font-size: 0">隐藏甲</span>',
    '<span class="text jammer">隐藏甲</span>',
    '<span id="d-none">隐藏甲</span>',
    '<span class="x-hide">隐藏甲</span>',
])
def test_text_hidden_from_readers_is_dropped_and_reported(element):
    result = html_to_text(_page("", f"<p>一、健全工作机制，{element}明确各方责任。</p>"))
    assert result.text == "一、健全工作机制，明确各方责任。"
    assert _removed(result) == [("html_hidden", "隐藏甲")]


@pytest.mark.parametrize("element", [
    '<span aria-hidden="false">可见</span>',
    '<span style="font-size:0.5em">可见</span>',
    '<span style="font-size:10px">可见</span>',
    '<span class="hiddenness">可见</span>',
    '<span class="shadow">可见</span>',
])
def test_visible_text_is_kept(element):
    result = html_to_text(_page("", f"<p>一、健全工作机制，{element}明确各方责任。</p>"))
    assert result.text == "一、健全工作机制，可见明确各方责任。" and result.removed == []


@pytest.mark.parametrize("element", [
    "<nav>首页 | 新闻</nav>",
    "<aside>首页 | 新闻</aside>",
    "<menu>首页 | 新闻</menu>",
    "<header>首页 | 新闻</header>",
    "<footer>首页 | 新闻</footer>",
    '<div role="Navigation">首页 | 新闻</div>',
    '<div role="contentinfo">首页 | 新闻</div>',
    '<div class="main-nav">首页 | 新闻</div>',
    '<ul id="breadcrumbs">首页 | 新闻</ul>',
    '<p class="share2">首页 | 新闻</p>',
    '<section class="x_comments">首页 | 新闻</section>',
    '<td class="dqwz">首页 | 新闻</td>',
    '<span class="position">首页 | 新闻</span>',
    '<table class="pagination"><tr><td>首页 | 新闻</td></tr></table>',
    '<ol class="related">首页 | 新闻</ol>',
])
def test_navigation_is_dropped_and_reported(element):
    result = html_to_text(_page("", element + BODY))
    assert result.text == "一、健全工作机制，明确各方责任。\n二、加强督促检查，确保任务落实。"
    assert _removed(result) == [("html_nav", "首页 | 新闻")]


@pytest.mark.parametrize("element", [
    '<li class="nav">首页 | 新闻</li>',
    '<a class="menu">首页 | 新闻</a>',
    '<div class="navigator">首页 | 新闻</div>',
    '<div role="main">首页 | 新闻</div>',
])
def test_elements_that_only_look_like_navigation_are_kept(element):
    result = html_to_text(_page("", element + BODY))
    assert result.text.startswith("首页 | 新闻") and result.removed == []


def test_a_header_and_footer_inside_the_article_are_part_of_it():
    article = ("<article><header>文章标题栏</header>" + BODY + "<footer>文章落款</footer></article>")
    result = html_to_text(_page("", "<header>站点头部</header>" + article + "<footer>站点尾部</footer>"))
    assert result.text.splitlines() == ["文章标题栏", "一、健全工作机制，明确各方责任。", "二、加强督促检查，确保任务落实。",
                                        "文章落款"]
    assert _removed(result) == [("html_nav", "站点头部"), ("html_nav", "站点尾部")]
    main = "<main><footer>正文落款</footer>" + BODY + "</main>"
    assert html_to_text(_page("", main)).text.startswith("正文落款\n")


def test_an_empty_hidden_or_navigation_block_is_dropped_without_a_report():
    result = html_to_text(_page("", '<nav> </nav><span hidden></span>' + BODY))
    assert result.removed == [] and result.text.startswith("一、")


def test_a_block_inside_a_dropped_block_is_reported_once():
    result = html_to_text(_page("", '<div hidden><span style="display:none">内层</span>外层</div>' + BODY))
    assert _removed(result) == [("html_hidden", "内层 外层")]


# The main text -------------------------------------------------------------------------------------------

def test_an_article_with_more_than_fifty_characters_is_the_main_text():
    article = "甲" * 51
    result = html_to_text(_page("", f"<div>页面其他文字</div><article>{article}</article>"))
    assert result.text == article
    short = "甲" * 50
    result = html_to_text(_page("", f"<div>页面其他文字</div><article>{short}</article>"))
    assert result.text == f"页面其他文字\n{short}"


def test_a_main_element_counts_when_there_is_no_long_article():
    main = "乙" * 51
    result = html_to_text(_page("", f"<article>短</article><div>页面其他文字</div><main>{main}</main>"))
    assert result.text == main


def test_the_largest_content_block_is_the_main_text_when_it_holds_enough_of_the_page():
    block = "丙" * 30
    result = html_to_text(_page("", f'<div>{"丁" * 60}</div><div class="article_content">{block}</div>'
                                    f'<div class="content">{"戊" * 10}</div>'))
    assert result.text == block
    result = html_to_text(_page("", f'<div>{"丁" * 71}</div><div class="content">{block}</div>'))
    assert result.text == f'{"丁" * 71}\n{block}'


def test_only_div_td_and_section_blocks_with_a_content_class_count():
    block = "丙" * 40
    for wrapper in (f'<span class="content">{block}</span>', f'<div class="sidebox">{block}</div>'):
        result = html_to_text(_page("", f'<div>{"丁" * 20}</div>{wrapper}'))
        assert result.text == f'{"丁" * 20}\n{block}'
    for wrapper in (f'<section class="detail">{block}</section>',
                    f'<table><tr><td class="zoom">{block}</td></tr></table>'):
        assert html_to_text(_page("", f'<div>{"丁" * 20}</div>{wrapper}')).text == block


# Blocks become lines ---------------------------------------------------------------------------------------

def test_blocks_and_breaks_become_lines_and_cells_are_spaced():
    body = ("<div>第一段<br>第二行</div><ul><li>甲项</li><li>乙项</li></ul>"
            "<table><tr><td>单元一</td><td>单元二</td></tr><tr><th>表头</th></tr></table>"
            "<p>末段<b>加粗</b>文字</p>")
    result = html_to_text(_page("", body))
    assert result.text.splitlines() == ["第一段", "第二行", "甲项", "乙项", "单元一 单元二", "表头", "末段加粗文字"]


def test_source_line_breaks_between_chinese_characters_vanish_and_other_whitespace_is_one_space():
    result = html_to_text(_page("", "<p>健全\n   工作机制，\n明确责任 and\n\t more   text</p>"))
    assert result.text == "健全工作机制，明确责任 and more text"


def test_a_heading_outside_the_main_text_is_put_before_it_unless_it_is_already_there():
    article = "<article>" + "正文内容" * 20 + "</article>"
    result = html_to_text(_page("", "<h1>通知 标题</h1>" + article))
    assert result.text == "通知 标题\n" + "正文内容" * 20
    inside = "<article><h1>通知标题</h1>" + "正文内容" * 20 + "</article>"
    assert html_to_text(_page("", inside)).text == "通知标题\n" + "正文内容" * 20
    hidden = '<h1 hidden>隐藏标题</h1>' + article
    assert html_to_text(_page("", hidden)).text == "正文内容" * 20


# Found by the mutation run ------------------------------------------------------------------------------

def test_only_meta_elements_give_the_title_and_a_meta_without_content_is_skipped():
    page = ('<html><head><meta name="ArticleTitle"><meta property="OG:TITLE" content="大写的属性名"></head>'
            '<body><span name="ArticleTitle" content="不是元数据"></span>' + BODY + "</body></html>")
    assert html_to_text(page).title == "大写的属性名"
    for attribute in ('name="ArticleTitle"', 'property="og:title"'):
        page = f'<html><body><h1>真正的标题</h1><span {attribute} content="不是元数据"></span>{BODY}</body></html>'
        assert html_to_text(page).title == "真正的标题"


def test_hidden_blocks_after_a_nested_one_are_still_removed():
    result = html_to_text('<div hidden><span hidden>内层</span>外层</div><p>中间的正文</p><p hidden>后面的</p>')
    assert result.text == "中间的正文"
    assert _removed(result) == [("html_hidden", "内层 外层"), ("html_hidden", "后面的")]


def test_a_tiny_content_block_holding_enough_of_the_page_is_the_main_text():
    assert html_to_text('<p>乙</p><div class="content">甲</div>').text == "甲"


def test_of_two_content_blocks_of_the_same_size_the_first_is_the_main_text():
    assert html_to_text('<div class="content">甲甲甲</div><div class="content">乙乙乙</div>').text == "甲甲甲"


def test_a_page_without_a_body_has_no_text_but_keeps_its_title():
    result = html_to_text("<html><head><title>只有标题</title></head></html>")
    assert (result.text, result.title) == ("", "只有标题")


@pytest.mark.parametrize("meta, expected", [
    ('<meta name="ArticleTitle" content="标题甲">', ("标题甲", None, None)),
    ('<meta property="og:title" content="标题乙">', ("标题乙", None, None)),
    ('<meta name="og:title" content="标题丙">', ("标题丙", None, None)),
    ('<meta name="PubDate" content="2024-01-02">', (None, "2024-01-02", None)),
    ('<meta name="pubdate" content="2024-01-03">', (None, "2024-01-03", None)),
    ('<meta name="publishdate" content="2024-01-04">', (None, "2024-01-04", None)),
    ('<meta property="article:published_time" content="2024-01-05">', (None, "2024-01-05", None)),
    ('<meta name="date" content="2024-01-06">', (None, "2024-01-06", None)),
    ('<meta name="DATE" content="2024-01-07">', (None, "2024-01-07", None)),
    ('<meta name="ContentSource" content="来源甲">', (None, None, "来源甲")),
    ('<meta name="source" content="来源乙">', (None, None, "来源乙")),
    ('<meta property="og:site_name" content="来源丙">', (None, None, "来源丙")),
])
def test_each_meta_name_alone_gives_its_field(meta, expected):
    result = html_to_text(_page(meta))
    assert (result.title, result.date, result.source) == expected


@pytest.mark.parametrize("meta", [
    '<meta name="date2" content="2024-01-02">',
    '<meta name="update" content="2024-01-02">',
    '<meta name="sources" content="来源">',
    '<meta name="og:site" content="来源">',
    '<meta name="title" content="标题">',
])
def test_look_alike_meta_names_give_nothing(meta):
    result = html_to_text(_page(meta))
    assert (result.title, result.date, result.source) == (None, None, None)


def test_a_heading_with_inline_markup_is_read_as_the_text_shows_it_and_not_repeated():
    # Found by the mutation run (the heading read with another separator survived): the heading
    # was read with a space between its pieces ("关于 做好 工作"), so the title had stray spaces and
    # a heading inside the article, where the text shows "关于做好工作", was put before it again.
    article = "<article><h1>关于<span>做好</span>工作</h1>" + "正文内容" * 20 + "</article>"
    result = html_to_text(_page("", article))
    assert result.title == "关于做好工作"
    assert result.text == "关于做好工作\n" + "正文内容" * 20
    outside = "<h1>关于<b>做好</b>工作<br>的通知</h1><article>" + "正文内容" * 20 + "</article>"
    result = html_to_text(_page("", outside))
    assert result.title == "关于做好工作 的通知"
    assert result.text == "关于做好工作\n的通知\n" + "正文内容" * 20


def test_a_heading_within_its_length_plus_200_characters_of_the_text_is_not_repeated():
    def page(lead: int) -> str:
        return _page("", f"<article><p>{'甲' * lead}</p><h1>通知</h1><p>{'正文内容' * 20}</p></article>")

    # 199 characters and a line break: the heading starts at 200, inside the window.
    assert html_to_text(page(199)).text == f"{'甲' * 199}\n通知\n{'正文内容' * 20}"
    # One more: the heading starts at 201 and ends after the window, so it is put first too.
    assert html_to_text(page(200)).text == f"通知\n{'甲' * 200}\n通知\n{'正文内容' * 20}"


def test_a_heading_dropped_as_navigation_is_not_put_back():
    result = html_to_text(_page("", "<nav><h1>导航标题</h1></nav><article>" + "正文内容" * 20 + "</article>"))
    assert result.text == "正文内容" * 20 and result.title == "导航标题"


def test_scripts_inside_the_heading_are_not_part_of_the_title():
    result = html_to_text(_page("", "<h1>通知<script>var x = 1;</script><style>h1 {}</style></h1>" + BODY))
    assert result.title == "通知"


def test_reading_a_page_gives_no_warning():
    # The parser is named: left to Beautiful Soup, it warns ("No parser was explicitly specified")
    # on every page read.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert html_to_text(_page("<title>标题</title>")).title == "标题"
