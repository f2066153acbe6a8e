"""``/api/v1/indicators`` and ``/api/v1/data-values``: the same scoping, checks and audit as the pages."""

from __future__ import annotations

from typing import Any

from ninja import Body, Router, Schema, Status
from ninja.pagination import paginate

from luoshi.core import authz
from luoshi.core.paging import Pages
from luoshi.core.context import current_batch
from luoshi.indicators import imports, queries
from luoshi.indicators.models import DataValue, Indicator
from luoshi.orgs.models import OrgUnit
from luoshi.plans import rules as period_rules

indicators_router = Router(tags=["indicators"])
values_router = Router(tags=["data values"])


class IndicatorOut(Schema):
    code: str
    name: str
    definition: str
    unit_of_measure: str
    value_type: str
    decimals: int
    direction: str
    periodicity: str
    aggregation: str
    owner_unit: str
    formula: str
    baseline_value: float | None
    baseline_year: int | None
    source: str
    version: int

    @staticmethod
    def resolve_owner_unit(obj: Indicator) -> str:
        return obj.owner_unit.code


class TargetRow(Schema):
    unit: str
    year: int
    value: float


class IndicatorDetail(IndicatorOut):
    categories: list[str]
    targets: list[TargetRow]

    @staticmethod
    def resolve_categories(obj: Indicator) -> list[str]:
        return [c.code for c in obj.category_set.categories.all()] if obj.category_set_id else []

    @staticmethod
    def resolve_targets(obj: Indicator) -> list[dict]:
        return [{"unit": t.unit.code, "year": t.year, "value": t.value} for t in obj.visible_targets]


class ValueOut(Schema):
    indicator: str
    unit: str
    period: str
    category: str | None
    value: float | str | None
    comment: str
    state: str

    @staticmethod
    def resolve_indicator(obj: DataValue) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_unit(obj: DataValue) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_category(obj: DataValue) -> str | None:
        return obj.category.code if obj.category_id else None

    @staticmethod
    def resolve_value(obj: DataValue) -> float | str | None:
        return obj.text_value if obj.value is None else obj.value


@indicators_router.get("", response=list[IndicatorOut], summary="Indicators in scope")
@paginate(Pages)
def list_indicators(request, q: str = ""):
    return queries.indicators(request.user, q=q)


@indicators_router.get("/{code}", response=IndicatorDetail, summary="One indicator with its targets")
def get_indicator(request, code: str):
    ind = queries.indicator(request.user, code)
    ind.visible_targets = list(queries.targets(request.user, ind))
    return ind


@values_router.get("", response=list[ValueOut], summary="Reported values in scope (filter by indicator, unit, period)")
@paginate(Pages)
def list_values(request, indicator: str = "", unit: str = "", period: str = ""):
    ind = authz.get_or_404(request.user, Indicator, code=indicator) if indicator else None
    org = authz.get_or_404(request.user, OrgUnit, code=unit) if unit else None
    if period:
        try:
            period = period_rules.normalise_period(period)[1].key
        except ValueError:
            from django.core.exceptions import ValidationError

            raise ValidationError({"period": f"not a period: {period!r}"}) from None
    return queries.values(request.user, indicator=ind, unit=org, period=period or None)


@values_router.post("", response={200: dict, 422: dict}, summary="Import values (a JSON list), all or nothing")
def post_values(request, payload: list[Any] = Body(...), dry_run: bool = False):
    """Each item: ``indicator``, ``org_unit``, ``period``, ``value`` and optionally ``category``, ``comment``.
    On any bad item nothing is written and every bad item is listed (``row`` = its 1-based position)."""
    result = imports.import_records(request.user, payload, dry_run=dry_run)
    body = result.as_dict() | {"batch": str(current_batch().batch_id)}
    return Status(200 if result.ok else 422, body)
