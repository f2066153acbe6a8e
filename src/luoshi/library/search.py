"""Chinese full-text search for solutions and policy documents.

Text is segmented by jieba (``cut_for_search`` at index time, so a word inside a longer phrase —
服务 in 课后服务质量 — is a token of its own) after conversion to simplified script; the tokens,
separated by spaces, are stored in ``search_title``/``search_body``. Each database indexes those
columns with what it has (migration 0002):

* SQLite: an FTS5 table ``<table>_fts`` (external content, kept in step by triggers), ranked by
  ``bm25`` with the title weighted ten times the body;
* PostgreSQL: a stored ``tsvector`` column ``search_vector`` (title weight A, body D) with a GIN
  index, ranked by ``ts_rank``, and a stored ``search_title_vector`` of the title alone
  (migration 0004) that ranks many matches cheaply before the best are ranked in full
  (``_pg_page``).

A query is converted to simplified script and segmented the same way; every token must match.
Matches are highlighted in Python on the page's rows only (``highlight``). Measured in
``bench/bench_search.py``; the choice is explained in ``docs/architecture.md``.
"""

from __future__ import annotations

import html
import logging
import threading
from pathlib import Path

import regex
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, FloatField
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe

from luoshi.core.text import to_simplified

_lock = threading.Lock()
_ready = False
WORD = regex.compile(r"[\p{Han}\p{L}\p{N}]")
MAX_QUERY_TOKENS = 12


def _jieba():
    """jieba, with its dictionary loaded once per process and its cache in the data folder."""
    global _ready
    import jieba

    if not _ready:
        with _lock:
            if not _ready:
                cache = Path(settings.DATA_DIR) / "cache"
                cache.mkdir(parents=True, exist_ok=True)
                jieba.dt.tmp_dir = str(cache)
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _ready = True
    return jieba


def _keep(token: str) -> str:
    token = token.strip().lower()
    return token if token and WORD.search(token) else ""


HAN_RUN = regex.compile(r"\p{Han}{2,}")


def index_tokens(text: str) -> list[str]:
    """The tokens stored for ``text``: jieba's words (with the shorter words inside long ones),
    then every distinct pair of adjacent Han characters that is not already a word. The pairs
    catch words that segmentation split across a boundary (非遗 in 非遗传承人 → 非/遗传/承人)."""
    if not text:
        return []
    simple = to_simplified(text)
    out = []
    for token in _jieba().cut_for_search(simple):
        token = _keep(token)
        if token:
            out.append(token)
    words = set(out)
    pairs = []
    for run in HAN_RUN.findall(simple):
        for i in range(len(run) - 1):
            pair = run[i:i + 2]
            if pair not in words:
                words.add(pair)
                pairs.append(pair)
    return out + pairs


def segment(text: str) -> str:
    return " ".join(index_tokens(text))


def _pairs(token: str) -> tuple[str, ...]:
    if len(token) < 3 or not HAN_RUN.fullmatch(token):
        return ()
    return tuple(token[i:i + 2] for i in range(len(token) - 1))


def query_terms(query: str) -> list[tuple[str, tuple[str, ...]]]:
    """What a query must match: per word (jieba's precise mode, simplified script), the word
    itself or, for a Han word of three or more characters, all of its character pairs."""
    seen: list[str] = []
    for token in _jieba().cut(to_simplified(" ".join(query.split()))):
        token = _keep(token)
        if token and token not in seen:
            seen.append(token)
    return [(t, _pairs(t)) for t in seen[:MAX_QUERY_TOKENS]]


def query_tokens(query: str) -> list[str]:
    """The words of a query (for highlighting and "similar" searches)."""
    return [t for t, _p in query_terms(query)]


def keywords(text: str, count: int = 8) -> list[str]:
    """The most characteristic words of ``text`` (TF-IDF), for "similar" searches."""
    from jieba import analyse

    _jieba()
    return [w.lower() for w in analyse.extract_tags(to_simplified(text), topK=count) if _keep(w)]


# Database side ------------------------------------------------------------------------------

def vendor() -> str:
    return connection.vendor


def _fts_quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _pg_quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _terms(tokens) -> list[tuple[str, tuple[str, ...]]]:
    return [t if isinstance(t, tuple) else (t, _pairs(t)) for t in tokens]


def match_expression(tokens, any_of: bool = False, title_only: bool = False) -> str:
    """The MATCH string (SQLite FTS5) or the ``tsquery`` text (PostgreSQL) for query terms
    (``query_terms``) or plain words: all of them, or with ``any_of`` any one; ``title_only``
    restricts every word to the title (FTS5 column filter; tsquery weight A)."""
    pg = vendor() == "postgresql"
    quote, both, either = (_pg_quote, " & ", " | ") if pg else (_fts_quote, " AND ", " OR ")
    if title_only:
        plain = quote
        quote = (lambda t: plain(t) + ":A") if pg else (lambda t: "search_title : " + plain(t))
    parts = []
    for word, pairs in _terms(tokens):
        if pairs:
            parts.append(f"({quote(word)}{either}({both.join(quote(p) for p in pairs)}))")
        else:
            parts.append(quote(word))
    return (either if any_of else both).join(parts)


def _subquery(base) -> tuple[str, tuple] | None:
    """The SQL selecting the primary keys of ``base``; ``None`` when it cannot match anything."""
    try:
        return base.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None


RANK_ALL = 2000  # SQLite: matches ranked in full; beyond this, title matches are ranked and the rest come newest first


def _run(sql: str, params) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [row[0] for row in cursor.fetchall()]


def _matches(table: str, match: str) -> str:
    """SQL (SQLite; one parameter: the match) selecting the ids of all rows matching, unranked."""
    return f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH %s"


def _ranked(table: str, match: str, sub_sql: str, sub_params) -> list[int]:
    """All rows matching ``match`` within the scoped subquery, best first (SQLite; bm25 computed
    for every match of ``match``: only used when they are few)."""
    # The matches are collected first (a materialised CTE): given "rowid IN (…)" directly, FTS5
    # would run the full-text query once per candidate row instead of once.
    sql = (f"WITH m AS MATERIALIZED (SELECT rowid AS id, bm25({table}_fts, 10.0, 1.0) AS score FROM {table}_fts "
           f"WHERE {table}_fts MATCH %s) SELECT m.id FROM m WHERE m.id IN ({sub_sql}) ORDER BY m.score, m.id DESC")
    return _run(sql, [match, *sub_params])


def _count_all(table: str, match: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({_matches(table, match)}) x", [match])
        return cursor.fetchone()[0]


def ranked_ids(base, tokens: list, *, any_of: bool = False, limit: int | None = None, offset: int = 0) -> list[int]:
    """Primary keys of the rows of queryset ``base`` matching ``tokens``, best first (``limit``
    of them from ``offset``, or all).

    PostgreSQL: see ``_pg_page``. SQLite: up to ``RANK_ALL`` matches (before scoping) are ranked
    by bm25, title weighted above the body. A broader query — one word found in most texts — is
    ranked in two tiers so that its cost stays bounded: the rows whose *title* matches, by
    relevance, then the other matches newest first. Scoring thousands of rows would cost more than
    the rest of the search and say little about rows that all contain the word."""
    if not tokens:
        return []
    if vendor() == "postgresql":
        return _pg_page(base, match_expression(tokens, any_of), offset, limit)
    sub = _subquery(base)
    if sub is None:
        return []
    table = base.model._meta.db_table
    sub_sql, sub_params = sub
    match = match_expression(tokens, any_of)
    if _count_all(table, match) <= RANK_ALL:
        ids = _ranked(table, match, sub_sql, sub_params)
    else:
        title = match_expression(tokens, any_of, title_only=True)
        if _count_all(table, title) <= RANK_ALL:
            first = _ranked(table, title, sub_sql, sub_params)
        else:
            first = _run(f"WITH m AS MATERIALIZED ({_matches(table, title)}) SELECT rowid FROM m WHERE rowid IN ({sub_sql}) "
                         f"ORDER BY rowid DESC", [title, *sub_params])
        seen = set(first)
        rest_sql = (f"WITH m AS MATERIALIZED ({_matches(table, match)}) SELECT rowid FROM m WHERE rowid IN ({sub_sql}) "
                    f"ORDER BY rowid DESC")
        ids = first + [pk for pk in _run(rest_sql, [match, *sub_params]) if pk not in seen]
    if limit is not None:
        return ids[offset:offset + limit]
    return ids


# PostgreSQL ----------------------------------------------------------------------------------

# The tsquery as a scalar subquery rather than a constant. Given the constant, the planner
# estimates from the column statistics that a broad word matches most rows and reads the table
# sequentially, decompressing every row's tsvector (stored out of line, about 1.7 kB for a
# solution) to test it: 220 ms for 10,000 solutions. Behind a subquery the estimate is the
# default (0.5 %), so the GIN index is always used; for a tsquery of plain words combined by
# AND/OR (no weights, no phrases: what ``match_expression`` writes) the index answer is exact and
# the rows' vectors are not read at all (6 ms). See docs/performance.md, "Library search".
_TSQUERY = "(SELECT to_tsquery('simple', %s))"

RANK_CANDIDATES = 200  # PostgreSQL: the matches whose full relevance is computed for the first pages


def _pg_matching(base, match: str):
    """``base`` narrowed to the rows matching the tsquery text ``match`` (scope and match in one
    WHERE clause, so the scope is tested on the matches only)."""
    table = connection.ops.quote_name(base.model._meta.db_table)
    return base.order_by().filter(RawSQL(f"{table}.search_vector @@ {_TSQUERY}", [match], output_field=BooleanField()))


def _pg_by_title(base, match: str):
    """The matches of ``base``, best title first, then newest: (id, title rank) pairs."""
    quoted = connection.ops.quote_name(base.model._meta.db_table)
    return (_pg_matching(base, match)
            .annotate(_title_rank=RawSQL(f"ts_rank({quoted}.search_title_vector, {_TSQUERY})", [match],
                                         output_field=FloatField()))
            .order_by("-_title_rank", "-pk"))


def _pg_head(base, match: str) -> tuple[list[int], int]:
    """The first ``RANK_CANDIDATES`` matches of ``base`` in their final order, and the number of
    all matches, from one statement.

    The candidates are the best by the title's relevance (``ts_rank`` of the small title vector,
    stored inline: cheap for thousands of matches); they are ordered by the full relevance of title
    and text (``ts_rank`` of ``search_vector``, read from out-of-line storage: about 30 µs a row,
    so it is computed for the candidates only). The number of matches is a window count over the
    matches (``count(*) OVER ()`` is taken before the ``LIMIT``), so counting costs no second
    pass over the table."""
    quoted = connection.ops.quote_name(base.model._meta.db_table)
    try:
        sql, params = _pg_by_title(base, match).order_by().values_list("pk", "_title_rank").query.sql_with_params()
    except EmptyResultSet:
        return [], 0
    # The matches are materialised with their title rank first, so that the window count buffers
    # (id, rank) pairs: over the scan itself it would carry every row's title vector along
    # (8,000 rows spilled to a temporary file).
    with connection.cursor() as cursor:
        cursor.execute(f"WITH m(id, title_rank) AS MATERIALIZED ({sql}), "
                       "c AS MATERIALIZED (SELECT id, title_rank, count(*) OVER () AS total FROM m "
                       "ORDER BY title_rank DESC, id DESC LIMIT %s) "
                       f"SELECT c.id, c.total FROM c JOIN {quoted} t ON t.id = c.id "
                       f"ORDER BY ts_rank(t.search_vector, {_TSQUERY}) DESC, c.title_rank DESC, c.id DESC",
                       [*params, RANK_CANDIDATES, match])
        rows = cursor.fetchall()
    return [pk for pk, _total in rows], (rows[0][1] if rows else 0)


def _pg_page(base, match: str, offset: int = 0, limit: int | None = None, head=None) -> list[int]:
    """Ranked ids of the matches of ``base`` on PostgreSQL, ``limit`` of them from ``offset``.

    The order is that of two keys: among the ``RANK_CANDIDATES`` best by the title's relevance,
    the full relevance of title and text (``_pg_head``), then the title's relevance alone. Ties,
    and the matches after the candidates, come newest first. Every page is cut from that one
    order, so pages neither repeat nor skip rows. ``head``: ``_pg_head``'s answer if the caller
    has it already."""
    stop = None if limit is None else offset + limit
    ids: list[int] = []
    if offset < RANK_CANDIDATES:
        first, _total = head if head is not None else _pg_head(base, match)
        ids = first[offset:stop]
        if len(first) < RANK_CANDIDATES:  # fewer matches than candidates: nothing follows
            return ids
    if stop is None or stop > RANK_CANDIDATES:
        start = max(offset, RANK_CANDIDATES)
        by_title = _pg_by_title(base, match).values_list("pk", flat=True)
        ids += list(by_title[start:stop] if stop is not None else by_title[start:])
    return ids


class Results:
    """A ranked search over a queryset that pages like a list (``Paginator`` works with it).

    PostgreSQL: one statement gives the count and the first ``RANK_CANDIDATES`` ids in order
    (``_pg_head``); the count and every page within them come from it, later pages are queries
    of their own. SQLite: the matching ids are read once, best first (one full-text query, ranked
    in the database); the count and every page come from that list. A page's objects come from
    ``rows`` (``page_ids`` gives the ids alone, for callers that load rows their own way)."""

    def __init__(self, base, tokens: list, *, any_of: bool = False, rows=None):
        self.base = base
        self.rows = rows if rows is not None else base  # how the page's objects are loaded
        self.tokens = tokens
        self.any_of = any_of
        self._ids: list[int] | None = None
        self._head: tuple[list[int], int] | None = None
        self._pg = vendor() == "postgresql"

    @property
    def ids(self) -> list[int]:
        if self._ids is None:
            self._ids = ranked_ids(self.base, self.tokens, any_of=self.any_of)
        return self._ids

    def _pg_first(self) -> tuple[list[int], int]:
        if self._head is None:
            self._head = _pg_head(self.base, match_expression(self.tokens, self.any_of)) if self.tokens else ([], 0)
        return self._head

    def count(self) -> int:
        """The number of matches (exact)."""
        return self._pg_first()[1] if self._pg else len(self.ids)

    def __len__(self) -> int:
        return self.count()

    def page_ids(self, offset: int, limit: int | None) -> list[int]:
        """The ids of ``limit`` results (all, if ``None``) from ``offset``, best first."""
        stop = None if limit is None else offset + limit
        return self._page_ids(slice(offset, stop))

    def _page_ids(self, key: slice) -> list[int]:
        if not self._pg or self._ids is not None or key.step not in (None, 1):
            return self.ids[key]
        start, stop = key.start or 0, key.stop
        if start < 0 or (stop is not None and stop < 0):
            return self.ids[key]
        if stop is not None and stop <= start:
            return []
        if not self.tokens:
            return []
        return _pg_page(self.base, match_expression(self.tokens, self.any_of), start,
                        None if stop is None else stop - start, head=self._pg_first() if start < RANK_CANDIDATES else None)

    def __getitem__(self, key):
        if isinstance(key, int):
            rows = self[key:key + 1] if key >= 0 else [self[0:self.count()][key]]
            if not rows:
                raise IndexError(key)
            return rows[0]
        ids = self._page_ids(key)
        if not ids:
            return []
        objects = self.rows.in_bulk(ids)
        return [objects[pk] for pk in ids if pk in objects]

    def __iter__(self):
        return iter(self[0:None] if self._pg else self[0:self.count()])


# Index set-up (migrations) ----------------------------------------------------------------

INDEXED_TABLES = ("library_solution", "library_policydocument")


def install_index(schema_editor, table: str) -> None:
    """Create the full-text index of ``table`` (its ``search_title``/``search_body`` columns).

    Run again after any migration that rebuilds the table on SQLite (Django remakes a table to
    alter it there, which drops triggers).
    """
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        run(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple', coalesce(search_title, '')), 'A') || "
            "setweight(to_tsvector('simple', coalesce(search_body, '')), 'D')) STORED")
        run(f"CREATE INDEX IF NOT EXISTS {table}_search_gin ON {table} USING gin (search_vector)")
        return
    fts = f"{table}_fts"
    run(f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_title, search_body, content='{table}', content_rowid='id')")
    run(f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body); END")
    run(f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_title, search_body) VALUES ('delete', old.id, old.search_title, old.search_body); END")
    run(f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_title, search_body) VALUES ('delete', old.id, old.search_title, old.search_body); "
        f"INSERT INTO {fts}(rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body); END")
    run(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def install_title_vector(schema_editor, table: str) -> None:
    """PostgreSQL: a stored ``tsvector`` of the title alone (``search_title_vector``, migration
    0004). Titles are short, so it stays inline in the row and ranking thousands of matches by it
    is cheap (``_pg_page``); no index, matching goes through ``search_vector``. Nothing on SQLite,
    where FTS5 ranks by column weights."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_title_vector tsvector GENERATED ALWAYS AS ("
                              "to_tsvector('simple', coalesce(search_title, ''))) STORED")


def drop_title_vector(schema_editor, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_title_vector")


def drop_index(schema_editor, table: str) -> None:
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        run(f"DROP INDEX IF EXISTS {table}_search_gin")
        run(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
        return
    fts = f"{table}_fts"
    for suffix in ("ai", "ad", "au"):
        run(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
    run(f"DROP TABLE IF EXISTS {fts}")


# Highlighting -------------------------------------------------------------------------------

def _pattern(tokens):
    words = sorted({t[0] if isinstance(t, tuple) else t for t in tokens if t}, key=len, reverse=True)
    if not words:
        return None
    return regex.compile("|".join(regex.escape(w) for w in words), regex.IGNORECASE)


def highlight(text: str, tokens) -> SafeString:
    """``text`` escaped, with the query's words wrapped in ``<mark>``."""
    text = text or ""
    pattern = _pattern(tokens)
    if pattern is None:
        return mark_safe(html.escape(text))
    simple = to_simplified(text)
    if len(simple) != len(text):  # the conversion changed lengths: match the text as it is
        simple = text
    out, last = [], 0
    for m in pattern.finditer(simple):
        out.append(html.escape(text[last:m.start()]))
        out.append(f"<mark>{html.escape(text[m.start():m.end()])}</mark>")
        last = m.end()
    out.append(html.escape(text[last:]))
    return mark_safe("".join(out))


def snippet(text: str, tokens: list[str], width: int = 90) -> SafeString:
    """A short excerpt of ``text`` around the first match, highlighted."""
    text = " ".join((text or "").split())
    pattern = _pattern(tokens)
    start = 0
    if pattern is not None:
        m = pattern.search(to_simplified(text) if len(to_simplified(text)) == len(text) else text)
        if m:
            start = max(0, m.start() - width // 3)
    piece = text[start:start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return mark_safe(prefix + highlight(piece, tokens) + suffix)
