"""Chinese text helpers shared across domains (search input in either script)."""

from __future__ import annotations

from functools import lru_cache

from django.db.models import Q


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def search_variants(query: str) -> list[str]:
    """The query as typed and, when it differs, in simplified script (traditional input is accepted)."""
    query = " ".join(query.split())
    if not query:
        return []
    simplified = to_simplified(query)
    return [query] if simplified == query else [query, simplified]


def search_q(query: str, *fields: str) -> Q:
    """Case-insensitive containment of the query (in either script) in any of ``fields``."""
    q = Q()
    for variant in search_variants(query):
        for name in fields:
            q |= Q(**{f"{name}__icontains": variant})
    return q
