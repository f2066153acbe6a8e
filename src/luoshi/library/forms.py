"""Forms of the library pages. Choice lists come from ``authz`` (scoped) only."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from luoshi.core import authz
from luoshi.library.models import Adoption, PolicyDocument, Solution
from luoshi.orgs.models import OrgUnit, UnitType
from luoshi.plans.models import PlanItem


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{'　' * max(obj.depth - 1, 0)}{obj.name} ({obj.code})"


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{obj.name} ({obj.code})"


class ItemMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: PlanItem) -> str:
        return f"{obj.plan.title} · {obj.code} {obj.title}".strip()


class DocMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: PolicyDocument) -> str:
        return str(obj)


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(rows: int = 4):
    return forms.Textarea(attrs={"rows": rows})


def linkable_items(user):
    """Plan items a user may link: readable items of published plans (a bounded list)."""
    qs = PlanItem.objects.filter(plan__status="published").select_related("plan")
    return authz.scope(user, qs).order_by("plan__title", "path")


class SolutionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All statuses")), *Solution.Status.choices])
    region = forms.ModelChoiceField(label=_("Region"), required=False, empty_label=_("All regions"),
                                    queryset=OrgUnit.objects.filter(type=UnitType.PROVINCE, depth=1).order_by("code"),
                                    to_field_name="code")
    level = forms.ChoiceField(label=_("Level"), required=False,
                              choices=[("", _("All levels")), *[(v, l) for v, l in UnitType.choices
                                                                 if v in ("province", "city", "county", "school", "university")]])
    plan_item = forms.IntegerField(label=_("Plan item"), required=False, widget=forms.HiddenInput)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)


class SolutionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    unit = UnitChoiceField(label=_("Owning unit"), queryset=OrgUnit.objects.none())
    summary = forms.CharField(label=_("Summary"), required=False, widget=_text(3))
    problem = forms.CharField(label=_("Problem addressed"), widget=_text())
    approach = forms.CharField(label=_("Approach"), widget=_text(6))
    results = forms.CharField(label=_("Results"), required=False, widget=_text())
    evidence = forms.CharField(label=_("Evidence of results"), required=False, widget=_text(3))
    conditions = forms.CharField(label=_("Conditions for reuse"), required=False, widget=_text(3))
    cost = forms.DecimalField(label=_("Cost (10,000 yuan)"), required=False, min_value=0, max_digits=12, decimal_places=2)
    cost_notes = forms.CharField(label=_("Cost notes"), required=False, widget=_text(2))
    result_label = forms.CharField(label=_("Headline result"), required=False, max_length=100,
                                   help_text=_("The figure adopters compare against, e.g. 课后服务参与率（%）"))
    result_value = forms.DecimalField(label=_("Source pilot's value"), required=False, max_digits=14, decimal_places=2)
    source_units = UnitMultipleChoiceField(label=_("Source units"), required=False, queryset=OrgUnit.objects.none())
    plan_items = ItemMultipleChoiceField(label=_("Plan items served"), required=False, queryset=PlanItem.objects.none())
    tags = forms.CharField(label=_("Tags"), required=False, max_length=400, help_text=_("Separate tags with commas."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, solution: Solution | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if solution is None:
            self.fields["unit"].queryset = authz.units_where(user, "add", Solution).order_by("path")
        else:
            self.fields["unit"].queryset = OrgUnit.objects.filter(pk=solution.unit_id)
            self.fields["unit"].disabled = True
        self.fields["source_units"].queryset = authz.scope(user, OrgUnit.objects.filter(is_active=True)).order_by("path")
        self.fields["plan_items"].queryset = linkable_items(user)
        for name in ("source_units", "plan_items"):
            self.fields[name].widget.attrs["size"] = 8


class AdoptionForm(forms.Form):
    unit = UnitChoiceField(label=_("Adopting unit"), queryset=OrgUnit.objects.none())
    status = forms.ChoiceField(label=_("Status"), choices=Adoption.Status.choices)
    started_on = forms.DateField(label=_("Started on"), required=False, widget=_date_widget())
    progress = forms.CharField(label=_("Progress"), required=False, widget=_text())
    results = forms.CharField(label=_("Results"), required=False, widget=_text())
    result_value = forms.DecimalField(label=_("Our value"), required=False, max_digits=14, decimal_places=2)
    adapted = forms.CharField(label=_("What we adapted"), required=False, widget=_text(3))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, solution: Solution, adoption: Adoption | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if adoption is None:
            taken = solution.adoptions.values("unit_id")
            self.fields["unit"].queryset = authz.units_where(user, "add", Adoption).exclude(pk__in=taken).order_by("path")
        else:
            self.fields["unit"].queryset = OrgUnit.objects.filter(pk=adoption.unit_id)
            self.fields["unit"].disabled = True
        if solution.result_label:
            self.fields["result_value"].help_text = _("Measured as: %(label)s") % {"label": solution.result_label}


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, Word, Excel, PowerPoint, images or text; at most %(mb)s MB.")
                           % {"mb": settings.MAX_UPLOAD_BYTES // 1048576})


class PolicyFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *PolicyDocument.Status.choices])
    plan_item = forms.IntegerField(label=_("Plan item"), required=False, widget=forms.HiddenInput)


class PolicyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=500)
    doc_number = forms.CharField(label=_("Document number (文号)"), required=False, max_length=100,
                                 help_text=_("e.g. 教基〔2024〕1号"))
    issuer = forms.CharField(label=_("Issued by"), required=False, max_length=200)
    unit = UnitChoiceField(label=_("Registering unit"), queryset=OrgUnit.objects.none())
    issued_on = forms.DateField(label=_("Date"), required=False, widget=_date_widget())
    status = forms.ChoiceField(label=_("Status"), choices=PolicyDocument.Status.choices[:2])
    summary = forms.CharField(label=_("Summary"), required=False, widget=_text(3))
    full_text = forms.CharField(label=_("Full text"), required=False, widget=_text(12))
    source_url = forms.URLField(label=_("Source address"), required=False, max_length=500, assume_scheme="https")
    is_illustrative = forms.BooleanField(label=_("Illustrative (invented for the demo)"), required=False)
    plan_items = ItemMultipleChoiceField(label=_("Plan items served"), required=False, queryset=PlanItem.objects.none())
    solutions = forms.ModelMultipleChoiceField(label=_("Solutions served"), required=False, queryset=Solution.objects.none())
    revises = DocMultipleChoiceField(label=_("Revises"), required=False, queryset=PolicyDocument.objects.none())
    repeals = DocMultipleChoiceField(label=_("Repeals"), required=False, queryset=PolicyDocument.objects.none())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, doc: PolicyDocument | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if doc is None:
            self.fields["unit"].queryset = authz.units_where(user, "add", PolicyDocument).order_by("path")
        else:
            self.fields["unit"].queryset = OrgUnit.objects.filter(pk=doc.unit_id)
            self.fields["unit"].disabled = True
            del self.fields["status"]
        self.fields["plan_items"].queryset = linkable_items(user)
        self.fields["solutions"].queryset = authz.scope(user, Solution.objects.all()).order_by("title")
        others = authz.scope(user, PolicyDocument.objects.exclude(status=PolicyDocument.Status.DRAFTING))
        if doc is not None:
            others = others.exclude(pk=doc.pk)
        for name in ("revises", "repeals"):
            self.fields[name].queryset = others.order_by("-issued_on", "title")
        for name in ("plan_items", "solutions", "revises", "repeals"):
            self.fields[name].widget.attrs["size"] = 6
