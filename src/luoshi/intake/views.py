"""Policy intake pages: upload or paste a document, review what was removed and the proposed
outline, edit the outline, create the draft plan. Views only parse input, call
``queries``/``services`` and render.

Every page is for planners and admins (403 otherwise); a draft is its owner's only (404 for
anyone else). Between the steps the parsed document lives server-side in an
:class:`~luoshi.intake.models.Draft` row; the browser holds only its token and posts back the
edited outline (ids, titles and structure), which the server checks again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from luoshi.intake import display, editing, queries, services
from luoshi.intake.errors import IntakeError, SpamDocumentError
from luoshi.intake.forms import DocumentForm, PlanFromDocumentForm, initial_for
from luoshi.intake.highlight import PREVIEW_CHARS
from luoshi.intake.models import Draft

# What each kind of removal or flag is, in the reader's words, and its colour group.
REMOVAL_KINDS = {
    "emoji": (gettext_lazy("Emoji"), "noise"),
    "decoration": (gettext_lazy("Decorative symbols"), "noise"),
    "injected_chars": (gettext_lazy("Injected characters"), "noise"),
    "invisible": (gettext_lazy("Invisible characters"), "noise"),
    "control": (gettext_lazy("Control characters"), "noise"),
    "pinyin": (gettext_lazy("Pinyin annotations"), "noise"),
    "spam": (gettext_lazy("Spam and ads"), "spam"),
    "boilerplate": (gettext_lazy("Site boilerplate"), "chrome"),
    "page_meta": (gettext_lazy("Page details (date, source, views)"), "chrome"),
    "comments": (gettext_lazy("Reader comments"), "chrome"),
    "html_hidden": (gettext_lazy("Hidden page elements"), "chrome"),
    "html_nav": (gettext_lazy("Page navigation"), "chrome"),
}
FLAG_KINDS = {
    "spam": gettext_lazy("Spam removed"),
    "mojibake": gettext_lazy("Garbled characters"),
    "ambiguous_date": gettext_lazy("Broken date"),
    "spun_text": gettext_lazy("Machine-rewritten wording"),
    "script_artifact": gettext_lazy("Conversion artefact"),
    "mixed_script": gettext_lazy("Mixed scripts"),
    "suspicious_chars": gettext_lazy("Suspicious characters"),
    "spam_suspect": gettext_lazy("Possible advertising (kept)"),
}
INVISIBLE_KINDS = {"invisible", "control"}
EXAMPLES_PER_KIND = 30
QUEUE_PATIENCE = timedelta(seconds=20)  # then the progress page says a worker must be running


def _guard(request: HttpRequest) -> None:
    services.require_intake(request.user)


def _go(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _kind(kind: str) -> tuple[str, str]:
    label, group = REMOVAL_KINDS.get(kind, (kind, "chrome"))
    return str(label), group


def _shown(kind: str, text: str) -> str:
    """How a removal is shown: invisible characters by code point, pictographs by name."""
    return display.shown(kind, text)


# Start: upload or paste ------------------------------------------------------------------------

@login_required
def start(request: HttpRequest) -> HttpResponse:
    _guard(request)
    form = DocumentForm(request.POST or None, request.FILES or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        data, filename = form.document()
        try:
            draft = services.start(request.user, data=data, filename=filename,
                                   to_simplified=form.cleaned_data["to_simplified"])
        except SpamDocumentError as exc:
            refusal = display.error(str(exc), filename) if filename else display.error(exc.problem)
        except IntakeError as exc:
            form.add_error("file" if filename else "text",
                           display.error(str(exc), filename) if filename else display.error(exc.problem))
        else:
            return _go(request, reverse("intake:review", args=[draft.token]))
    context = {"form": form, "refusal": refusal, "limit_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
               "inline_kb": services.INLINE_MAX_BYTES // 1024}
    if request.htmx and request.method == "POST":
        return render(request, "intake/_document_form.html", context)
    context["drafts"] = queries.drafts(request.user)[:10]
    return render(request, "intake/start.html", context)


# Progress of a document read by the worker -----------------------------------------------------

def _status_context(draft: Draft) -> dict:
    waiting = draft.status == Draft.Status.QUEUED and timezone.now() - draft.created_at > QUEUE_PATIENCE
    return {"draft": draft, "percent": round(draft.progress * 100), "waiting_for_worker": waiting,
            "error_text": display.error(draft.error, draft.filename) if draft.error else ""}


@login_required
def status(request: HttpRequest, token) -> HttpResponse:
    """htmx: the progress box, polled every second; once the document is read, the page reloads."""
    _guard(request)
    draft = queries.draft(request.user, token)
    if request.htmx and draft.status in (Draft.Status.DONE, Draft.Status.FAILED):
        return HttpResponseClientRefresh()
    return render(request, "intake/_status.html", _status_context(draft))


# Review, edit the outline, create the plan ----------------------------------------------------

def _editor_text() -> dict[str, object]:
    """The outline editor's words (outline.js), translated here; ``%s`` is filled in by the script."""
    return {
        "maxDepth": editing.MAX_DEPTH, "maxTitle": editing.MAX_TITLE, "maxNodes": editing.MAX_NODES,
        "title": _("Title of item %s"), "passage": _("introduction"),
        "promote": _("Promote %s: make it a sibling of the item it is under"),
        "demote": _("Demote %s: make it a sub-item of the item above"),
        "merge": _("Merge %s into the item above"),
        "drop": _("Drop %s and its sub-items"),
        "merged": _("+%s merged"), "one": _("1 item"), "many": _("%s items"),
        "empty": _("No items left. The plan will be created without items."),
        "none": _("No enumerations were found. The plan will be created without items; add them on the plan page."),
        "dropped": _("Dropped: %s."), "moved": _("Moved: %s."), "mergedInto": _("Merged into: %s."),
        "undone": _("Undone."), "reset": _("The proposed outline is back."), "saved": _("Outline saved."),
        "blank": _("Every item needs a title."), "tooDeep": _("The outline may be at most %s levels deep."),
        "tooMany": _("The outline may have at most %s items."), "failed": _("The outline could not be saved: %s"),
    }


def _review_context(draft: Draft) -> dict:
    parsed = draft.parsed or {}
    removed = parsed.get("removed", [])
    counts = Counter(entry["kind"] for entry in removed)
    examples = defaultdict(list)
    for entry in removed:
        if len(examples[entry["kind"]]) < EXAMPLES_PER_KIND:
            examples[entry["kind"]].append(_shown(entry["kind"], entry["text"]))
    groups = []
    for kind, count in counts.most_common():
        label, group = _kind(kind)
        groups.append({"kind": kind, "label": label, "group": group, "count": count, "examples": examples[kind],
                       "more": count - len(examples[kind])})
    preview = None
    if draft.preview is not None:
        preview = []
        for kind, text, block in draft.preview:
            label, group = _kind(kind) if kind else ("", "")
            preview.append({"kind": kind, "text": _shown(kind, text) if kind else text, "block": block,
                            "label": label, "group": group})
    flags = [{**flag, "label": str(FLAG_KINDS.get(flag["kind"], flag["kind"])),
              "reason": display.reason(flag["kind"], flag.get("reason", ""))} for flag in parsed.get("flags", [])]
    clean_text = parsed.get("clean_text", "")
    outline = draft.outline or []
    items = parsed.get("items", [])
    proposed = editing.proposed(items)
    labels = editing.labels(items, only=editing.ids(outline) | editing.ids(proposed))

    def with_markers(nodes: list[dict]) -> list[dict]:
        return [{"marker": labels.get(str(n["id"]), {}).get("marker", ""), "title": n["title"],
                 "children": with_markers(n["children"])} for n in nodes]

    return {
        "draft": draft, "parsed": parsed, "groups": groups, "removed_count": len(removed), "preview": preview,
        "flags": flags, "clean_length": len(clean_text), "preview_limit": PREVIEW_CHARS,
        "truncated": len(clean_text) > PREVIEW_CHARS, "clean_excerpt": clean_text[:PREVIEW_CHARS],
        "outline": outline, "outline_count": editing.count(outline), "static_outline": with_markers(outline),
        "proposed": proposed, "proposed_count": editing.count(proposed), "document_items": editing.total(items),
        "labels": labels, "max_nodes": editing.MAX_NODES,
        "offer_conversion": not draft.to_simplified and _traditional(clean_text),
        "ui_text": _editor_text(),
    }


def _traditional(text: str) -> bool:
    """Whether the text holds traditional-script characters worth converting."""
    from luoshi.intake.charsets import script_patterns

    trad, _simp = script_patterns()
    return len(trad.findall(text[:200_000], 0)) >= 5


@login_required
@require_POST
def convert(request: HttpRequest, token) -> HttpResponse:
    """Read the document again in simplified script (the button on the review page)."""
    _guard(request)
    draft = queries.draft(request.user, token)
    try:
        services.convert(request.user, draft)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except IntakeError as exc:
        messages.error(request, display.error(str(exc), draft.filename))
    else:
        messages.success(request, _("The document was converted to simplified script."))
    return redirect("intake:review", token=draft.token)


@login_required
def review(request: HttpRequest, token) -> HttpResponse:
    _guard(request)
    user = request.user
    draft = queries.draft(user, token)
    if draft.status != Draft.Status.DONE:
        return render(request, "intake/progress.html", _status_context(draft))
    form = PlanFromDocumentForm(request.POST or None, user=user, initial=initial_for(user, draft.parsed))
    if not form.fields["issuer"].queryset.exists():
        raise PermissionDenied(_("You may not create plans."))
    outline_error = None
    if request.method == "POST":
        posted = request.POST.get("outline", "")
        try:
            outline = services.save_outline(user, draft, posted) if posted else draft.outline
        except editing.OutlineError as exc:
            outline_error, outline = str(exc), None
        if form.is_valid() and outline_error is None:
            data = form.cleaned_data
            try:
                plan = services.create_plan(user, draft, title=data["title"], issuer=data["issuer"],
                                            start_year=data["start_year"], end_year=data["end_year"], outline=outline)
            except editing.OutlineError as exc:
                outline_error = str(exc)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            except PermissionDenied as exc:
                form.add_error("issuer", str(exc))
            else:
                n = plan.items.count()
                if draft.pasted:
                    message = _("Draft plan created from the pasted text with %(n)s items. Assign lead units, then publish it.")
                else:
                    message = _("Draft plan created from %(doc)s with %(n)s items. Assign lead units, then publish it.")
                messages.success(request, message % {"doc": draft.filename, "n": n})
                return redirect("plans:detail", plan_id=plan.pk)
    context = _review_context(draft) | {"form": form, "outline_error": outline_error}
    return render(request, "intake/review.html", context, status=400 if outline_error else 200)


@login_required
@require_POST
def outline(request: HttpRequest, token) -> HttpResponse:
    """Keep the edited outline (sent by outline.js as the user edits): 400 with the reason if bad."""
    _guard(request)
    draft = queries.draft(request.user, token)
    try:
        saved = services.save_outline(request.user, draft, request.POST.get("outline", ""))
    except editing.OutlineError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=409)
    return JsonResponse({"items": editing.count(saved)})


@login_required
@require_POST
def discard(request: HttpRequest, token) -> HttpResponse:
    _guard(request)
    draft = queries.draft(request.user, token)
    services.discard(request.user, draft)
    messages.success(request, _("The document was discarded; nothing was created."))
    return redirect("intake:start")
