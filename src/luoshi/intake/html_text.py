"""Main text of an HTML page.

Dropped without report: scripts, styles, forms, embedded objects, the head.
Dropped and reported (kind ``html_hidden``): elements hidden from readers
(``hidden``, ``aria-hidden="true"``, ``display:none``, ``visibility:hidden``,
zero font size, classes such as ``hidden`` or ``jammer`` used by anti-copy
scripts). Dropped and reported (kind ``html_nav``): navigation (``nav``,
``aside``, ``menu``, page ``header``/``footer`` outside the article, ARIA
navigation roles, breadcrumb/share/sidebar/comment/copyright blocks).
The main text is ``<article>`` or ``<main>`` when present, else the content
block with the most text, else the body; block elements become line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import Declaration, Doctype, ProcessingInstruction, Script, Stylesheet, TemplateString

from .model import Removal

_DROP = ["script", "style", "noscript", "template", "iframe", "object", "embed", "svg",
         "canvas", "form", "button", "select", "input", "textarea", "head", "link", "meta"]
_BLOCK = frozenset(
    "p div section article main header footer h1 h2 h3 h4 h5 h6 li ul ol table tr "
    "blockquote pre dd dt dl figure figcaption address center hr title caption tbody thead".split()
)
_CELL = frozenset({"td", "th"})
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:px|pt|em)?\s*(?:;|$|!)",
    re.IGNORECASE,
)
_HIDDEN_CLASS = re.compile(r"(?:^|[\s_-])(?:hidden|hide|jammer|invisible|d-none|display-none)(?:$|[\s_-])", re.I)
_NAV_CLASS = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|breadcrumbs?|crumbs?|bread|share|sharebox|bdsharebuttonbox|"
    r"footer|sidebar|copyright|comments?|toolbar|pager|pagination|position|location|dqwz|"
    r"related|recommend)(?:$|[\s_\d-])",
    re.IGNORECASE,
)
_NAV_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_CONTENT_CLASS = re.compile(
    r"trs_editor|article|content|zoom|pages_content|art_con|detail|main-?text|text|news_con|body",
    re.IGNORECASE,
)
_SPACE_RUN = re.compile(r"[ \t\r\n\f\v]+")
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])[ \\t\\r\\n]*\\n[ \\t\\r\\n]*(?=[{_CJK}])")


@dataclass(slots=True)
class HtmlText:
    text: str
    removed: list[Removal] = field(default_factory=list)
    title: str | None = None
    date: str | None = None
    source: str | None = None


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"name": re.compile(f"^{name}$", re.I)}) or soup.find(
            "meta", attrs={"property": re.compile(f"^{name}$", re.I)})
        if isinstance(tag, Tag) and str(tag.get("content", "")).strip():
            return str(tag["content"]).strip()
    return None


def _classes(tag: Tag) -> str:
    value = tag.get("class") or []
    names = " ".join(value) if isinstance(value, list) else str(value)
    return f"{names} {tag.get('id') or ''}"


def _is_hidden(tag: Tag) -> bool:
    return (
        tag.has_attr("hidden")
        or str(tag.get("aria-hidden", "")).lower() == "true"
        or bool(_HIDDEN_STYLE.search(str(tag.get("style", ""))))
        or bool(_HIDDEN_CLASS.search(_classes(tag)))
    )


def _inside(tag: Tag, names: tuple[str, ...]) -> bool:
    return any(parent.name in names for parent in tag.parents)


def _is_nav(tag: Tag) -> bool:
    if tag.name in ("nav", "aside", "menu"):
        return True
    if tag.name in ("header", "footer") and not _inside(tag, ("article", "main")):
        return True
    if str(tag.get("role", "")).lower() in _NAV_ROLES:
        return True
    return tag.name in ("div", "ul", "ol", "section", "span", "p", "table", "td") and bool(
        _NAV_CLASS.search(_classes(tag)))


def _remove(soup: BeautifulSoup, test: Callable[[Tag], bool], kind: str, removed: list[Removal]) -> None:
    # find_all tests every tag before any is decomposed; a tag inside one decomposed before it
    # has lost its parent (decompose clears it) and is skipped, as the decomposed one itself.
    for tag in soup.find_all(test):
        if tag.parent is None:
            continue
        text = " ".join(tag.get_text(" ").split())
        if text:
            removed.append(Removal(kind, text))
        tag.decompose()


def _main_block(soup: BeautifulSoup) -> Tag:
    for name in ("article", "main"):
        found = soup.find(name)
        if isinstance(found, Tag) and len(found.get_text(strip=True)) > 50:
            return found
    best: Tag | None = None
    best_size = 0
    for tag in soup.find_all(["div", "td", "section"]):
        if not _CONTENT_CLASS.search(_classes(tag)):
            continue
        size = len(tag.get_text(strip=True))
        if size > best_size:
            best, best_size = tag, size
    body = soup.body or soup
    if best is not None and best_size >= 0.3 * len(body.get_text(strip=True)):
        return best
    return body


_BREAK = "\x1e"  # stands for a block boundary until source whitespace is folded


def _block_text(root: Tag) -> str:
    out: list[str] = []
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            out.append(_BREAK if node != "cell" else " ")
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, (Comment, Declaration, Doctype, ProcessingInstruction, Script, Stylesheet,
                                     TemplateString)):
                out.append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        if node.name == "br":
            out.append(_BREAK)
            continue
        if node.name in _BLOCK:
            out.append(_BREAK)
            stack.append((node, True))
        elif node.name in _CELL:
            stack.append(("cell", True))
        stack.extend((child, False) for child in reversed(list(node.children)))
    # A line break in the HTML source between two Chinese characters is not a
    # space; other runs of source whitespace are one space.
    text = _SPACE_RUN.sub(" ", _CJK_BREAK.sub("", "".join(out)))
    lines = (line.strip() for line in text.split(_BREAK))
    return "\n".join(line for line in lines if line)


def html_to_text(markup: str) -> HtmlText:
    soup = BeautifulSoup(markup, "lxml")
    title = _meta(soup, "ArticleTitle", "og:title")
    h1 = soup.find("h1")
    if not title and isinstance(h1, Tag):
        title = " ".join(_block_text(h1).split()) or None
    if not title and soup.title and soup.title.string:
        title = " ".join(soup.title.string.split()) or None
    # _meta matches names in any case ("pubdate" is "PubDate").
    date = _meta(soup, "PubDate", "publishdate", "article:published_time", "date")
    source = _meta(soup, "ContentSource", "source", "og:site_name")
    for tag in soup(_DROP):
        tag.decompose()
    removed: list[Removal] = []
    _remove(soup, _is_hidden, "html_hidden", removed)
    _remove(soup, _is_nav, "html_nav", removed)
    main = _main_block(soup)
    text = _block_text(main)
    if isinstance(h1, Tag) and h1.parent is not None:  # not dropped (a dropped tag loses its parent)
        # The heading as the main text shows it: inline markup adds no space, <br> breaks the line.
        heading = _block_text(h1)
        if heading and heading not in text[: len(heading) + 200]:
            text = f"{heading}\n{text}"
    return HtmlText(text, removed, title, date, source)
