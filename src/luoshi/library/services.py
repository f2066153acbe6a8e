"""Every write to solutions, attachments, adoptions and policy documents.

Each function takes the acting user first, runs in a transaction, checks permission through
``luoshi.core.authz`` and writes audit records (directly or through ``luoshi.core.services``).
Updates take ``expected_version`` (optimistic locking). The search columns are refreshed
whenever searchable text changes (``_index_*``).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import authz, uploads
from luoshi.core import services as core
from luoshi.library import rules, search
from luoshi.library.models import Adoption, Attachment, PolicyDocument, Solution, Tag
from luoshi.orgs.models import OrgUnit, UnitType

SOLUTION_FIELDS = ("title", "summary", "problem", "approach", "results", "evidence", "conditions", "cost", "cost_notes",
                   "result_label", "result_value")
SOLUTION_M2M = ("source_units", "plan_items", "tags")
ADOPTION_FIELDS = ("status", "started_on", "progress", "results", "result_value", "adapted")
POLICY_FIELDS = ("title", "doc_number", "issuer", "issued_on", "summary", "full_text", "source_url", "is_illustrative")
POLICY_M2M = ("plan_items", "solutions", "revises", "repeals")
MAX_TAGS = 12


# Search columns ------------------------------------------------------------------------------

def _region_and_level(unit: OrgUnit) -> tuple[int | None, str]:
    """The province-level unit above (or at) ``unit`` and the unit's type."""
    if unit.type == UnitType.PROVINCE:
        return unit.pk, unit.type
    region = OrgUnit.objects.filter(pk__in=unit.ancestor_ids(), type=UnitType.PROVINCE).order_by("-depth").first()
    return (region.pk if region else None), unit.type


def _index_solution(solution: Solution) -> None:
    tags = " ".join(solution.tags.values_list("name", flat=True))
    body = "\n".join([solution.summary, solution.problem, solution.approach, solution.results, solution.evidence,
                      solution.conditions, solution.result_label, tags])
    main = solution.source_units.order_by("depth", "code").last() or solution.unit
    region, level = _region_and_level(main)
    values = {"search_title": search.segment(solution.title), "search_body": search.segment(body),
              "region_id": region, "level": level}
    for name, value in values.items():  # the instance stays in step (a later save writes them again)
        setattr(solution, name, value)
    Solution.objects.filter(pk=solution.pk).update(**values)


def _index_policy(doc: PolicyDocument) -> None:
    title = f"{doc.title} {doc.doc_number} {doc.issuer}"
    body = f"{doc.summary}\n{doc.full_text}"
    doc.search_title, doc.search_body = search.segment(title), search.segment(body)
    PolicyDocument.objects.filter(pk=doc.pk).update(search_title=doc.search_title, search_body=doc.search_body)


# Checks ---------------------------------------------------------------------------------------

def _visible_units(actor, units) -> list[OrgUnit]:
    units = list(units)
    for unit in units:
        authz.require(actor, "view", unit)
    return units


def _visible_items(actor, items) -> list:
    items = list(items)
    for item in items:
        authz.require(actor, "view", item)
    return items


def _tags(names) -> list[Tag]:
    if isinstance(names, str):
        names = re.split(r"[,，;；、\s]+", names)
    cleaned: list[str] = []
    for name in names:
        name = str(name).strip()[:40]  # a Tag reads as its name
        if name and name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": _("At most %(n)s tags.") % {"n": MAX_TAGS}})
    return [Tag.objects.get_or_create(name=name)[0] for name in cleaned]


def _decimal(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({field: _("Enter a number.")}) from None


# Solutions ------------------------------------------------------------------------------------

@transaction.atomic
def create_solution(actor, *, unit: OrgUnit, title: str, problem: str, approach: str, source_units=(), plan_items=(),
                    tags=(), **fields) -> Solution:
    """A draft solution owned by ``unit``."""
    authz.require_in_unit(actor, "add", Solution, unit)
    unknown = set(fields) - set(SOLUTION_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    solution = Solution(unit=unit, title=title, problem=problem, approach=approach, **fields)
    solution.full_clean()
    solution.save()
    solution.source_units.set(_visible_units(actor, source_units))
    solution.plan_items.set(_visible_items(actor, plan_items))
    solution.tags.set(_tags(tags))
    _index_solution(solution)
    audit.record(actor, "create", solution, None, audit.snapshot(solution))
    return solution


def _review_text(review, *names: str) -> str:
    return "\n\n".join(v.strip() for v in (getattr(review, n) for n in names) if v.strip())


def _figures_text(figures) -> str:
    lines = []
    for row in figures or []:
        if isinstance(row, dict) and row.get("name"):
            lines.append(f"{row.get('name')}：{row.get('baseline', '')} → {row.get('result', '')}")
    return "\n".join(lines)


def _headline(figures) -> tuple[str, Decimal | None]:
    """The first named figure: its name and its result as a number (``None`` when it is not one).
    The pilots services store each result as a number's text (or "" when missing)."""
    for row in figures or []:
        if isinstance(row, dict) and row.get("name"):
            name = str(row["name"])[:100]
            try:
                return name, Decimal(str(row.get("result", "")))
            except InvalidOperation:
                return name, None
    return "", None


@transaction.atomic
def create_solution_from_review(actor, review) -> Solution:
    """The draft solution made from a review whose outcome is "promote" (called by the pilots
    services when the programme's reviewers decide so). Problem, approach, results with the
    figures, conditions, cost and the pilot's units are copied; the solution belongs to the
    programme's owner, who promoted it. A review gives one solution: asking again returns it."""
    review = type(review).objects.select_related("pilot", "pilot__unit", "pilot__programme__owner").get(pk=review.pk)
    authz.require(actor, "view", review)
    pilot = review.pilot
    owner = pilot.programme.owner
    if not (authz.can(actor, "review", review) or authz.can_in_unit(actor, "add", Solution, owner)):
        raise PermissionDenied(_("Only the programme's reviewers or planners may turn a review into a solution."))
    if review.outcome != "promote":
        raise ValidationError(_("Only a review whose outcome is 'promote' becomes a solution."))
    existing = Solution.objects.filter(source_review=review).first()
    if existing is not None:
        return existing
    label, value = _headline(review.figures)
    results = _review_text(review, "aims_vs_results", "what_worked")
    figures = _figures_text(review.figures)
    units = [pilot.unit, *pilot.participants.all()]
    solution = Solution(
        unit=owner, title=pilot.title, source_review=review,
        problem=_review_text(review, "core_problems", "essential_problems") or pilot.aims or pilot.title,
        approach=pilot.approach or _review_text(review, "what_worked") or pilot.title,
        results=results, evidence=figures, conditions=_review_text(review, "reuse_conditions", "lessons"),
        cost=review.cost, cost_notes=review.cost_notes, result_label=label, result_value=value,
    )
    solution.full_clean()
    solution.save()
    solution.source_units.set(units)
    solution.plan_items.set(pilot.programme.plan_items.all())
    _index_solution(solution)
    audit.record(actor, "create", solution, None, audit.snapshot(solution), "from_review")
    return solution


@transaction.atomic
def update_solution(actor, solution: Solution, data: dict, expected_version: int | None = None) -> Solution:
    solution = Solution.objects.select_for_update().get(pk=solution.pk)
    authz.require(actor, "change", solution)
    core.check_version(solution, expected_version)
    before = audit.snapshot(solution)
    for name in SOLUTION_FIELDS:
        if name in data:
            setattr(solution, name, data[name])
    solution.full_clean()
    if "source_units" in data:
        solution.source_units.set(_visible_units(actor, data["source_units"]))
    if "plan_items" in data:
        solution.plan_items.set(_visible_items(actor, data["plan_items"]))
    if "tags" in data:
        solution.tags.set(_tags(data["tags"]))
    if core.save_if_changed(actor, solution, before):
        _index_solution(solution)
    return solution


def _national(actor, solution: Solution) -> bool:
    """May ``actor`` promote nationally: a publishing grant at the top of the tree (the ministry)."""
    root_id = int(solution.unit.path.split("/")[1])  # the path is "/<root>/…/<unit>/"
    root = OrgUnit.objects.get(pk=root_id)
    return authz.covers_subtree(actor, "publish", Solution, root)  # (a grant covering the subtree covers the root)


@transaction.atomic
def set_solution_status(actor, solution: Solution, action: str, expected_version: int | None = None) -> Solution:
    """Recommend, promote nationally, or withdraw (``rules.SOLUTIONS``)."""
    solution = Solution.objects.select_for_update().select_related("unit").get(pk=solution.pk)
    authz.require(actor, "publish", solution)
    core.check_version(solution, expected_version)
    try:
        target = rules.SOLUTIONS.target(solution.status, action)
    except rules.IllegalTransition as exc:
        raise ValidationError(str(exc)) from None
    if action == "promote" and not _national(actor, solution):
        raise PermissionDenied(_("Only the ministry's planners may promote a solution nationally."))
    if action == "withdraw" and solution.status == Solution.Status.NATIONAL and not _national(actor, solution):
        raise PermissionDenied(_("Only the ministry's planners may withdraw a solution promoted nationally."))
    if target == Solution.Status.DRAFT and solution.adoptions.exists() and solution.status == Solution.Status.NATIONAL:
        raise ValidationError(_("Units have adopted this solution; it cannot go back to draft."))
    changes = {"status": target}
    if target == Solution.Status.NATIONAL:
        changes["promoted_at"] = timezone.now()
    core.apply_changes(actor, solution, changes, verb=action)
    return solution


@transaction.atomic
def delete_solution(actor, solution: Solution) -> None:
    solution = Solution.objects.select_for_update().get(pk=solution.pk)
    authz.require(actor, "delete", solution)
    if solution.status != Solution.Status.DRAFT:
        raise ValidationError(_("Only a draft solution can be deleted; withdraw it first."))
    if solution.adoptions.exists():
        raise ValidationError(_("Units have adopted this solution; it cannot be deleted."))
    for attachment in solution.attachments.all():
        attachment.file.delete(save=False)
    core.delete(actor, solution)


ATTACHMENT_TYPES = {
    ".pdf": "application/pdf", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".txt": "text/plain",
}


@transaction.atomic
def add_attachment(actor, solution: Solution, upload) -> Attachment:
    """Attach a file, checked by size, extension and content."""
    solution = Solution.objects.select_for_update().get(pk=solution.pk)
    authz.require(actor, "change", solution)
    name, content_type = uploads.check_upload(upload, ATTACHMENT_TYPES)
    attachment = Attachment(solution=solution, name=name, size=upload.size, content_type=content_type, uploaded_by=actor)
    attachment.file.save(name, upload)  # stores the file, then saves the row with its name
    audit.record(actor, "create", attachment, None, {"solution": solution.pk, "name": name, "size": upload.size})
    return attachment


@transaction.atomic
def remove_attachment(actor, attachment: Attachment) -> None:
    authz.require(actor, "change", attachment.solution)
    audit.record(actor, "delete", attachment, {"solution": attachment.solution_id, "name": attachment.name,
                                               "size": attachment.size})
    attachment.file.delete(save=False)
    attachment.delete()


# Adoption -------------------------------------------------------------------------------------

@transaction.atomic
def adopt(actor, solution: Solution, unit: OrgUnit, **fields) -> Adoption:
    """``unit`` records that it adopts ``solution`` (which it must be able to read, and which has
    left draft)."""
    solution = Solution.objects.select_related("unit").get(pk=solution.pk)
    authz.require(actor, "view", solution)
    authz.require_in_unit(actor, "add", Adoption, unit)
    if solution.status == Solution.Status.DRAFT:
        raise ValidationError(_("A draft solution cannot be adopted yet."))
    if not _unit_may_see(unit, solution):
        raise ValidationError({"unit": _("%(unit)s cannot see this solution.") % {"unit": unit}})
    if Adoption.objects.filter(solution=solution, unit=unit).exists():
        raise ValidationError({"unit": _("%(unit)s has already adopted this solution.") % {"unit": unit}})
    unknown = set(fields) - set(ADOPTION_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if "result_value" in fields:
        fields["result_value"] = _decimal(fields["result_value"], "result_value")
    adoption = Adoption(solution=solution, unit=unit, **fields)
    return core.create(actor, adoption)


def _unit_may_see(unit: OrgUnit, solution: Solution) -> bool:
    """A solution reaches a unit when promoted nationally, or within the owner's or sources' subtrees."""
    if solution.status == Solution.Status.NATIONAL:
        return True
    paths = [solution.unit.path, *solution.source_units.values_list("path", flat=True)]
    return any(unit.path.startswith(p) or p.startswith(unit.path) for p in paths)


@transaction.atomic
def update_adoption(actor, adoption: Adoption, data: dict, expected_version: int | None = None) -> Adoption:
    adoption = Adoption.objects.select_for_update().get(pk=adoption.pk)
    authz.require(actor, "change", adoption)
    fields = {k: v for k, v in data.items() if k in ADOPTION_FIELDS}
    if "result_value" in fields:
        fields["result_value"] = _decimal(fields["result_value"], "result_value")
    core.apply_changes(actor, adoption, fields, expected_version)
    return adoption


@transaction.atomic
def delete_adoption(actor, adoption: Adoption) -> None:
    authz.require(actor, "delete", adoption)
    core.delete(actor, adoption)


# Policy registry ------------------------------------------------------------------------------

def _links(actor, data: dict, doc: PolicyDocument | None = None) -> dict:
    """Checked many-to-many values among ``data`` (everything linked must be visible to the actor)."""
    out = {}
    if "plan_items" in data:
        out["plan_items"] = _visible_items(actor, data["plan_items"])
    if "solutions" in data:
        sols = list(data["solutions"])
        for s in sols:
            authz.require(actor, "view", s)
        out["solutions"] = sols
    for name in ("revises", "repeals"):
        if name in data:
            docs = list(data[name])
            for d in docs:
                authz.require(actor, "view", d)
                if doc is not None and d.pk == doc.pk:
                    raise ValidationError({name: _("A document cannot revise or repeal itself.")})
            out[name] = docs
    return out


@transaction.atomic
def create_policy(actor, *, unit: OrgUnit, title: str, status: str = PolicyDocument.Status.DRAFTING,
                  source_document=None, **data) -> PolicyDocument:
    """A registry entry. ``status`` may be "issued" for a document already in force (then the
    documents it revises or repeals change status too)."""
    authz.require_in_unit(actor, "add", PolicyDocument, unit)
    if status not in (PolicyDocument.Status.DRAFTING, PolicyDocument.Status.ISSUED):
        raise ValidationError({"status": _("A new document is drafting or issued.")})
    links = _links(actor, data)
    fields = {k: v for k, v in data.items() if k in POLICY_FIELDS}
    unknown = set(data) - set(POLICY_FIELDS) - set(POLICY_M2M)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    doc = PolicyDocument(unit=unit, title=title, status=status, source_document=source_document, **fields)
    doc.full_clean()
    doc.save()
    for name, values in links.items():
        getattr(doc, name).set(values)
    _index_policy(doc)
    audit.record(actor, "create", doc, None, audit.snapshot(doc))
    if status == PolicyDocument.Status.ISSUED:
        _supersede(actor, doc)
    return doc


@transaction.atomic
def update_policy(actor, doc: PolicyDocument, data: dict, expected_version: int | None = None) -> PolicyDocument:
    doc = PolicyDocument.objects.select_for_update().get(pk=doc.pk)
    authz.require(actor, "change", doc)
    core.check_version(doc, expected_version)
    links = _links(actor, data, doc)
    before = audit.snapshot(doc)
    full_text_before = doc.full_text
    for name in POLICY_FIELDS:
        if name in data:
            setattr(doc, name, data[name])
    doc.full_clean()
    for name, values in links.items():
        getattr(doc, name).set(values)
    # The audit snapshots leave the full text out (``PolicyDocument.audit_exclude``: it can be a
    # whole document): an edit of the full text alone is a change they cannot show.
    if core.save_if_changed(actor, doc, before, unseen_change=doc.full_text != full_text_before):
        _index_policy(doc)
    if doc.status == PolicyDocument.Status.ISSUED and ("revises" in links or "repeals" in links):
        _supersede(actor, doc)
    return doc


def _supersede(actor, doc: PolicyDocument) -> None:
    """An issued document marks those it revises as revised and those it repeals as repealed."""
    for action, related in (("revise", doc.revises.all()), ("repeal", doc.repeals.all())):
        for old in related.select_for_update():
            try:
                target = rules.POLICIES.target(old.status, action)
            except rules.IllegalTransition:
                continue  # still drafting, or already repealed: nothing to record
            core.apply_changes(actor, old, {"status": target}, verb=action)


@transaction.atomic
def set_policy_status(actor, doc: PolicyDocument, action: str, expected_version: int | None = None) -> PolicyDocument:
    doc = PolicyDocument.objects.select_for_update().get(pk=doc.pk)
    authz.require(actor, "publish", doc)
    core.check_version(doc, expected_version)
    try:
        target = rules.POLICIES.target(doc.status, action)
    except rules.IllegalTransition as exc:
        raise ValidationError(str(exc)) from None
    changes: dict = {"status": target}
    if action == "issue" and doc.issued_on is None:
        changes["issued_on"] = timezone.localdate()
    core.apply_changes(actor, doc, changes, verb=action)
    if target == PolicyDocument.Status.ISSUED:
        _supersede(actor, doc)
    return doc


@transaction.atomic
def delete_policy(actor, doc: PolicyDocument) -> None:
    doc = PolicyDocument.objects.select_for_update().get(pk=doc.pk)
    authz.require(actor, "delete", doc)
    if doc.status != PolicyDocument.Status.DRAFTING:
        raise ValidationError(_("Only a document still being drafted can be deleted; repeal an issued one."))
    core.delete(actor, doc)


DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_date(text: str) -> date | None:
    """A date written as 2024年1月11日 or 2024-01-11 (else ``None``)."""
    m = DATE.search(text or "")
    if not m:
        return None
    y, mo, d = (int(x) for x in (m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)))
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def policy_fields_from_source(source) -> dict:
    """Registry fields of a ``plans.SourceDocument`` (also used by the data migration)."""
    title = source.title or source.filename or _("Untitled document")
    return {"title": title[:500], "doc_number": source.doc_number[:100], "issued_on": parse_date(source.doc_date),
            "full_text": source.clean_text, "source_url": source.source if source.source.startswith(("http://", "https://")) else "",
            "issuer": ""}


@transaction.atomic
def register_source_document(actor, source, plan=None) -> PolicyDocument:
    """The registry entry of a document taken in through policy intake (created once; issued,
    since intake takes in published texts), linked to the top-level items of the plan drafted
    from it. Called by ``plans.services.create_plan_from_outline``."""
    existing = PolicyDocument.objects.filter(source_document=source).first()
    if existing is not None:
        return existing
    items = list(plan.items.filter(parent=None)) if plan is not None else []
    fields = policy_fields_from_source(source)
    if fields["source_url"]:
        try:
            PolicyDocument._meta.get_field("source_url").clean(fields["source_url"], None)
        except ValidationError:
            fields["source_url"] = ""
    title = fields.pop("title")
    return create_policy(actor, unit=source.unit, title=title, status=PolicyDocument.Status.ISSUED,
                         source_document=source, plan_items=items, **fields)
