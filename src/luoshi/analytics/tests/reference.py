"""A brute-force reference of the rollup, written from the words in ``rollup_sql`` (no SQL, no shortcuts).

Every aggregate is computed from scratch: collect the elementary values in its scope (subtree ×
categories × sub-periods), apply the rule. Slow on purpose; used only on small random worlds.
"""

from __future__ import annotations

from luoshi.indicators import formula as fm


def _subtree(units: dict, root: int) -> set[int]:
    out = {root}
    grew = True
    while grew:
        more = {u for u, (parent, _t, _a) in units.items() if parent in out} - out
        out |= more
        grew = bool(more)
    return out


def _is_leaf(units: dict, uid: int) -> bool:
    return not any(parent == uid and active for parent, _t, active in units.values())


def compute(units: dict, indicators: list[dict], values: list[tuple]) -> dict:
    """units: id -> (parent, type, active); indicators: dicts of Indicator columns;
    values: (indicator id, unit id, period, category id | None, value). Returns
    (indicator, unit, period, category) -> (value, units_reporting, units_expected, completeness)."""
    by_id = {i["id"]: i for i in indicators}
    # A year value typed for a sub-yearly indicator is not used (its year is the roll-up).
    raw: dict[tuple, float] = {(i, u, p, c): v for i, u, p, c, v in values if v is not None
                               and not (by_id[i]["periodicity"] != "yearly" and len(p) == 4)}

    def weight(ind: dict, unit: int, period: str, cat) -> float | None:
        w_ind = by_id.get(ind["weight_indicator_id"])
        if w_ind is None:
            return None
        if w_ind["category_set_id"] and w_ind["category_set_id"] == ind["category_set_id"]:
            return raw.get((w_ind["id"], unit, period, cat))
        if w_ind["category_set_id"]:
            parts = [v for (i, u, p, c), v in raw.items() if i == w_ind["id"] and u == unit and p == period and c is not None]
            return sum(parts) if parts else None
        return raw.get((w_ind["id"], unit, period, None))

    out: dict[tuple, tuple] = {}
    keys = set()
    for (i, u, p, c) in raw:
        ind = by_id[i]
        if ind["formula"] or ind["value_type"] == "text":
            continue
        periods = {p}
        if ind["periodicity"] != "yearly" and len(p) > 4 and ind["aggregation"] != "none":
            periods.add(p[:4])
        cats = {c} | ({None} if c is not None and ind["aggregation"] != "none" else set())
        ancestors = [a for a in units if u in _subtree(units, a)] if ind["aggregation"] != "none" else [u]
        for a in ancestors:
            for pp in periods:
                for cc in cats:
                    keys.add((i, a, pp, cc))
    for (i, a, p, c) in keys:
        ind = by_id[i]
        agg = ind["aggregation"]
        scope_units = _subtree(units, a) if agg != "none" else {a}
        contrib = []  # (unit, v, w)
        for (ri, ru, rp, rc), v in raw.items():
            if ri != i or ru not in scope_units:
                continue
            if not (rp == p or (ind["periodicity"] != "yearly" and agg != "none" and len(rp) > 4 and rp[:4] == p)):
                continue
            if not (rc == c or (c is None and rc is not None and agg != "none")):
                continue
            w = None
            if agg == "weighted_avg":
                w = weight(ind, ru, rp, rc)
                if w is None:
                    continue
            contrib.append((ru, v, w))
        if not contrib:
            continue
        vs = [v for _u, v, _w in contrib]
        if agg == "sum":
            value = sum(vs)
        elif agg == "avg":
            value = sum(vs) / len(vs)
        elif agg == "min":
            value = min(vs)
        elif agg == "max":
            value = max(vs)
        elif agg == "weighted_avg":
            total_w = sum(w for _u, _v, w in contrib)
            value = sum(v * w for _u, v, w in contrib) / total_w if total_w != 0 else None
        else:
            value = vs[0]
        reporting = len({u for u, _v, _w in contrib})
        if agg == "none":
            expected, completeness = 1, 1.0
        else:
            types = set(ind["reporting_unit_types"] or [])
            expected = sum(1 for x in _subtree(units, a) if units[x][2] and (units[x][1] in types if types else _is_leaf(units, x)))
            completeness = min(1.0, reporting / expected) if expected else None
        out[(i, a, p, c)] = (value, reporting, expected, completeness)

    # Derived indicators on the aggregates, each after what it refers to.
    derived = [i for i in indicators if i["formula"]]
    codes = {i["code"]: i["id"] for i in indicators}
    graph = {i["code"]: [r for r in fm.refs(fm.parse(i["formula"])) if r in {d["code"] for d in derived}] for i in derived}
    for code in fm.evaluation_order(graph):
        ind = by_id[codes[code]]
        tree = fm.parse(ind["formula"])
        ref_ids = {r: codes[r] for r in fm.refs(tree) if r in codes}
        if not ref_ids:
            continue
        places = {(a, p, c) for (i, a, p, c) in out if i in ref_ids.values()}
        for a, p, c in places:
            rows = {r: out.get((rid, a, p, c)) for r, rid in ref_ids.items()}
            value = fm.evaluate(tree, {r: (row[0] if row else None) for r, row in rows.items()})
            if value is None:
                continue
            present = [row for row in rows.values() if row]
            comps = [row[3] for row in present if row[3] is not None]
            out[(ind["id"], a, p, c)] = (value, min(row[1] for row in present), min(row[2] for row in present),
                                         min(comps) if comps else None)
    return out
