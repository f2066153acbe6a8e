"""Forms of the intake pages: the document (a file or pasted text), and the plan to create."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.core import authz
from luoshi.intake.charsets import to_simplified
from luoshi.orgs.models import OrgUnit
from luoshi.plans.forms import UnitChoiceField
from luoshi.plans.models import Plan

SUFFIXES = (".txt", ".html", ".htm", ".docx", ".pdf")


def _limit_mb() -> int:
    return settings.MAX_UPLOAD_BYTES // (1024 * 1024)


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Upload a file"), required=False,
        help_text=_("A .txt, .html, .htm, .docx or .pdf file (a PDF needs a text layer)."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUFFIXES)}),
    )
    text = forms.CharField(
        label=_("Or paste the text"), required=False, strip=True,
        widget=forms.Textarea(attrs={"rows": 10, "placeholder": _("Paste the policy text here, noise and all: emoji, ads and page furniture are removed.")}),
    )
    to_simplified = forms.BooleanField(
        label=_("Convert traditional script to simplified"), required=False,
        help_text=_("Also repairs conversion artefacts such as 製定 for 制定."),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": _limit_mb()})
        if not upload.name.lower().endswith(SUFFIXES):
            raise forms.ValidationError(_("Only .txt, .html, .htm, .docx and .pdf files can be read."))
        return upload

    def clean_text(self):
        text = self.cleaned_data.get("text", "")
        if len(text.encode("utf-8", "surrogatepass")) > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The text is larger than %(mb)s MB.") % {"mb": _limit_mb()})
        return text

    def clean(self):
        data = super().clean()
        has_file, has_text = bool(data.get("file")), bool(data.get("text"))
        if not self.errors:
            if has_file and has_text:
                raise forms.ValidationError(_("Upload a file or paste text, not both."))
            if not has_file and not has_text:
                raise forms.ValidationError(_("Upload a file or paste the text of the document."))
        return data

    def document(self) -> tuple[bytes | str, str]:
        """(data, filename): the file's bytes, or the pasted text with no file name."""
        upload = self.cleaned_data.get("file")
        if upload:
            return b"".join(upload.chunks()), upload.name
        return self.cleaned_data["text"], ""


class PlanFromDocumentForm(forms.Form):
    title = forms.CharField(label=_("Plan title"), max_length=300)
    issuer = UnitChoiceField(label=_("Issuing unit"), queryset=OrgUnit.objects.none())
    start_year = forms.IntegerField(label=_("Start year"), min_value=2000, max_value=2100)
    end_year = forms.IntegerField(label=_("End year"), min_value=2000, max_value=2100)
    # The edited outline as JSON, written by outline.js when the form is sent; empty without
    # JavaScript, and then the outline kept with the draft is used.
    outline = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = authz.units_where(user, "add", Plan).order_by("path")

    def clean(self):
        data = super().clean()
        if data.get("start_year") and data.get("end_year") and data["end_year"] < data["start_year"]:
            self.add_error("end_year", _("The end year is before the start year."))
        return data


_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")


def document_year(parsed: dict) -> int | None:
    """The year the document is from: its date, else the year in its number (教基〔2024〕1号),
    else the year in its title (2024年工作要点)."""
    for value in (parsed.get("date"), parsed.get("doc_number"), parsed.get("title")):
        match = _YEAR.search(value or "")
        if match and 2000 <= int(match.group(1)) <= 2100:
            return int(match.group(1))
    return None


def initial_for(user, parsed: dict) -> dict:
    """Defaults: the document's title; the unit named as its issuer if the user may issue plans for
    it, else the user's first unit; the document's year (else this year)."""
    year = document_year(parsed) or timezone.localdate().year
    units = authz.units_where(user, "add", Plan).order_by("path")
    issuer = None
    if parsed.get("issuer"):
        names = {to_simplified(name) for name in parsed["issuer"].split()}
        issuer = next((unit for unit in units.filter(name__in=names)[:1]), None)
    issuer = issuer or units.first()
    return {"title": (parsed.get("title") or "")[:300], "issuer": issuer.pk if issuer else None,
            "start_year": year, "end_year": year}
