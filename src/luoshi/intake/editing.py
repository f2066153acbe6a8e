"""The outline a user edits before it becomes plan items (no database access).

The parsed document's ``items`` tree (``ParsedDocument.to_dict()["items"]``) is *numbered*:
every node gets an id, its 1-based position in document order. The editor
(``static/intake/outline.js``) works on an outline of ids, titles and structure only::

    [{"id": 3, "title": "…", "merged": [4], "children": [{"id": 5, …}]}]

``merged`` lists the ids of the later siblings merged into this node. The text of every node
(its description in the plan) and its marker stay on the server and are looked up by id, so
what a browser posts back can rename, move, drop and merge nodes, but cannot rewrite the
document. :func:`validate` checks a posted outline; :func:`to_items` turns it back into the
``items`` shape that ``plans.services.create_plan_from_outline`` reads.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

MAX_DEPTH = 8          # levels of items
MAX_TITLE = 500        # characters (PlanItem.title)
MAX_NODES = 2000       # items one outline may create
MAX_POSTED_CHARS = 2_000_000
KEYS = frozenset({"id", "title", "merged", "children"})
EXCERPT = 120


class OutlineError(ValueError):
    """A posted outline that cannot be used; the message says why, in one line."""


def originals(items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The parsed nodes by id (document order, from 1); each without its children."""
    found: dict[int, dict[str, Any]] = {}

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            found[len(found) + 1] = {"marker": node.get("marker") or "", "title": (node.get("title") or "").strip(),
                                     "text": (node.get("text") or "").strip()}
            walk(node.get("children") or [])

    walk(items)
    return found


def _headline(node: dict[str, Any]) -> str:
    text = " ".join((node.get("title") or node.get("text") or "").split())
    return text[:MAX_TITLE]


def _numbered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every node as an editable node (ids as in :func:`originals`); a node with neither title
    nor text (an empty passage) is left out and its children move up, as
    ``create_plan_from_outline`` would do."""
    counter = 0

    def walk(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        nonlocal counter
        out: list[dict[str, Any]] = []
        for node in nodes:
            counter += 1
            own = counter
            children = walk(node.get("children") or [])
            title = _headline(node)
            if title:
                out.append({"id": own, "title": title, "merged": [], "children": children})
            else:
                out.extend(children)
        return out

    return walk(items)


def _level_counts(outline: list[dict[str, Any]]) -> list[int]:
    counts: list[int] = []
    level = outline
    while level:
        counts.append(len(level))
        level = [child for node in level for child in node["children"]]
    return counts


def _cut(outline: list[dict[str, Any]], levels: int) -> list[dict[str, Any]]:
    return [{**node, "children": _cut(node["children"], levels - 1) if levels > 1 else []} for node in outline]


def proposed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The editable outline of a parsed document, within the limits a plan accepts.

    When the document has more than ``MAX_NODES`` items or ``MAX_DEPTH`` levels, only the top
    levels that fit are proposed (a deeper item's text is part of its parent's text anyway); when
    even the first level is too long, its first ``MAX_NODES`` items.
    """
    outline = _numbered(items)
    counts = _level_counts(outline)
    levels, kept = 0, 0
    for size in counts[:MAX_DEPTH]:
        if kept + size > MAX_NODES:
            break
        kept += size
        levels += 1
    if levels == len(counts):
        return outline
    if levels == 0:
        return _cut(outline[:MAX_NODES], 1)
    return _cut(outline, levels)


def total(items: list[dict[str, Any]]) -> int:
    """How many items the parsed document has (before :func:`proposed` kept what fits)."""
    return count(_numbered(items))


def ids(outline: list[dict[str, Any]]) -> set[int]:
    found: set[int] = set()
    for node in outline:
        found.add(node["id"])
        found.update(node["merged"])
        found |= ids(node["children"])
    return found


def labels(items: list[dict[str, Any]], only: set[int] | None = None) -> dict[str, dict[str, str]]:
    """What the editor shows next to each node and cannot change: marker and a text excerpt."""
    out = {}
    for key, node in originals(items).items():
        if only is not None and key not in only:
            continue
        flat = " ".join(node["text"].split())
        out[str(key)] = {"marker": node["marker"], "excerpt": flat if len(flat) <= EXCERPT else flat[:EXCERPT - 1] + "…"}
    return out


def count(outline: list[dict[str, Any]]) -> int:
    return sum(1 + count(node["children"]) for node in outline)


def depth(outline: list[dict[str, Any]]) -> int:
    return max((1 + depth(node["children"]) for node in outline), default=0)


def validate(posted: str | list, known: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The posted outline (JSON text or already decoded), checked and normalised.

    Refused with :class:`OutlineError`: not JSON, not a list of nodes, unknown keys, ids that
    are not in the document or are used twice, empty or over-long titles, more than
    ``MAX_DEPTH`` levels or ``MAX_NODES`` items.
    """
    if isinstance(posted, str):
        if len(posted) > MAX_POSTED_CHARS:
            raise OutlineError(_("The outline is too large to be sent back."))
        try:
            posted = json.loads(posted)
        except (ValueError, RecursionError):
            raise OutlineError(_("The outline is not valid JSON.")) from None
    if not isinstance(posted, list):
        raise OutlineError(_("The outline must be a list of items."))
    seen: set[int] = set()
    total = 0

    def known_id(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value not in known:
            raise OutlineError(_("The outline names an item that is not in the document (%(id)s).") % {"id": str(value)[:20]})
        if value in seen:
            raise OutlineError(_("The outline uses item %(id)s twice.") % {"id": value})
        seen.add(value)
        return value

    def walk(nodes: Any, level: int) -> list[dict[str, Any]]:
        nonlocal total
        if not isinstance(nodes, list):
            raise OutlineError(_("The children of an item must be a list."))
        if nodes and level > MAX_DEPTH:
            raise OutlineError(_("The outline is nested more than %(n)s levels deep.") % {"n": MAX_DEPTH})
        out = []
        for node in nodes:
            if not isinstance(node, dict) or not {"id", "title"} <= set(node) or set(node) - KEYS:
                raise OutlineError(_("Each item of the outline needs an id and a title, and nothing else."))
            total += 1
            if total > MAX_NODES:
                raise OutlineError(_("The outline has more than %(n)s items; drop some before creating the plan.") % {"n": MAX_NODES})
            own = known_id(node["id"])
            title = node["title"]
            if not isinstance(title, str) or not title.strip():
                raise OutlineError(_("Every item needs a title (item %(marker)s is empty).") % {"marker": known[own]["marker"] or own})
            title = " ".join(title.split())
            if len(title) > MAX_TITLE:
                raise OutlineError(_("An item title is longer than %(n)s characters: %(start)s…") % {"n": MAX_TITLE, "start": title[:30]})
            merged = node.get("merged", [])
            if not isinstance(merged, list):
                raise OutlineError(_("The merged items of an item must be a list."))
            out.append({"id": own, "title": title, "merged": [known_id(m) for m in merged],
                         "children": walk(node.get("children", []), level + 1)})
        return out

    return walk(posted, 1)


def to_items(outline: list[dict[str, Any]], known: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """A validated outline as parsed ``items`` (marker, title, text, children).

    The marker is the first node's; the text joins the texts of the node and the nodes merged
    into it, in that order.
    """
    def build(node: dict[str, Any]) -> dict[str, Any]:
        ids = [node["id"], *node["merged"]]
        texts = [known[i]["text"] for i in ids if known[i]["text"]]
        return {"marker": known[node["id"]]["marker"], "title": node["title"], "text": "\n".join(texts),
                "children": [build(child) for child in node["children"]]}

    return [build(node) for node in outline]
