"""Every write of the evaluation system: actor first, one transaction, authz check, audit record.

Signatures (stable; 7b's views and the API call these):

Definitions (planner/admin in the owning unit's scope):
    create_indicator(actor, *, code, name, owner_unit, **fields) -> Indicator
    update_indicator(actor, indicator, *, expected_version=None, **fields) -> Indicator
    delete_indicator(actor, indicator) -> None
    set_indicator_items(actor, indicator, items: Iterable[PlanItem]) -> Indicator
    create_category_set(actor, *, code, name, owner_unit, categories: list[tuple[code, name]]) -> CategorySet
    update_category_set(actor, category_set, *, expected_version=None, name=..., categories=...) -> CategorySet
    delete_category_set(actor, category_set) -> None
    set_target(actor, *, indicator, unit, year, value) -> Target          (create or update)
    delete_target(actor, target) -> None
    create_rule(actor, *, code, expression, owner_unit, tolerance=0, severity="error", message="") -> ValidationRule
    update_rule(actor, rule, *, expected_version=None, **fields) -> ValidationRule
    delete_rule(actor, rule) -> None
    create_dataset(actor, *, code, name, owner_unit, periodicity, indicators, reporting_unit_types, description="") -> DataSet
    update_dataset(actor, dataset, *, expected_version=None, **fields) -> DataSet
    delete_dataset(actor, dataset) -> None

Entering and approving data (reporter enters and submits; reviewer of a unit above approves):
    save_values(actor, *, dataset, unit, period, entries: list[Entry]) -> SaveResult
        Entry(indicator_code, value: str, comment="", category_code=None)
        SaveResult.errors / .warnings: list[Problem(indicator, category, message, code)];
        nothing is saved when there are errors, or warnings without a comment on that value.
    submit(actor, *, dataset, unit, period) -> Approval
    approve(actor, *, dataset, unit, period) -> Approval
    return_data(actor, *, dataset, unit, period, reason) -> Approval
    unapprove(actor, *, dataset, unit, period, reason) -> Approval
    set_follow_up(actor, value: DataValue, follow_up: bool, note="") -> DataValue

Bulk (luoshi.indicators.imports, same service for CLI, API and upload page):
    imports.import_values(actor, source, *, filename="", dry_run=False, progress=None) -> ImportResult
    imports.import_upload(actor, uploaded_file, *, dry_run=False) -> ImportResult
    imports.import_records(actor, records: list[dict], *, dry_run=False) -> ImportResult   (API JSON)
    imports.import_targets(actor, source, *, filename="", dry_run=False) -> ImportResult
    ImportResult: ok, dry_run, rows, created, changed, unchanged, errors: list[RowError(row, field, message)],
                  warnings, summary() -> str
"""
