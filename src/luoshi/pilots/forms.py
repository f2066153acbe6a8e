"""Forms of the pilots domain. Choice lists come from ``authz`` (units where the user may act)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.core import authz
from luoshi.orgs.models import OrgUnit, UnitType
from luoshi.pilots import rules
from luoshi.pilots.models import Application, Pilot, Programme, ProgressEntry, Review

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _lines(rows: int = 4, placeholder: str = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "placeholder": placeholder})


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{obj.code} {obj.name}"


class UnitsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{obj.code} {obj.name}"


class ItemsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.plan.title} · {obj.code} {obj.title}"[:160]


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *choices]


class ProgrammeForm(forms.Form):
    owner = UnitChoice(label=_("Owner unit"), queryset=OrgUnit.objects.none())
    title = forms.CharField(label=_("Title"), max_length=300)
    aims = forms.CharField(label=_("Aims"), widget=_lines(3), required=False)
    indicators = forms.CharField(
        label=_("Indicators it should move"), widget=_lines(4, "数字化教学课时占比 | % | up"), required=False,
        help_text=_("One a line: name | unit of measure | up or down | indicator code (optional)."))
    eligible_types = forms.MultipleChoiceField(label=_("Eligible unit types"), required=False,
                                               choices=[(t.value, t.label) for t in UnitType],
                                               widget=forms.CheckboxSelectMultiple,
                                               help_text=_("None ticked: any type."))
    eligible_regions = UnitsChoice(label=_("Eligible regions"), queryset=OrgUnit.objects.none(), required=False,
                                   help_text=_("Units in these regions may apply; none chosen: anywhere. Hold Ctrl (⌘) to choose several."))
    plan_items = ItemsChoice(label=_("Linked plan items"), queryset=OrgUnit.objects.none(), required=False)
    call_opens = forms.DateField(label=_("Call opens"), widget=DATE, required=False)
    call_closes = forms.DateField(label=_("Call closes"), widget=DATE, required=False)
    starts_on = forms.DateField(label=_("Pilots start"), widget=DATE, required=False)
    ends_on = forms.DateField(label=_("Pilots end"), widget=DATE, required=False)
    places = forms.IntegerField(label=_("Number of places"), min_value=1, max_value=10000, initial=10)
    call_text = forms.CharField(label=_("Call text"), widget=_lines(6), required=False)
    review_template = forms.CharField(label=_("Review template"), widget=_lines(6), required=False,
                                      help_text=_("The questions each pilot's review (复盘) answers."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, programme: Programme | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        from luoshi.plans.models import PlanItem

        self.fields["owner"].queryset = authz.units_where(user, "add", Programme).order_by("path")
        if programme is not None:
            self.fields["owner"].disabled = True
            self.fields["owner"].required = False
        self.fields["eligible_regions"].queryset = authz.scope(user, OrgUnit).filter(
            is_active=True, type__in=["province", "city", "county"]).order_by("path")
        self.fields["plan_items"].queryset = authz.scope(user, PlanItem).filter(
            plan__status="published", depth__lte=1).select_related("plan").order_by("plan_id", "path")

    def clean_indicators(self) -> list[dict]:
        try:
            return rules.parse_indicators(self.cleaned_data["indicators"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def eligible_units(user, programme: Programme):
    """The units the user may apply for that the programme accepts (type and region)."""
    units = authz.units_where(user, "add", Application)
    if programme.eligible_types:
        units = units.filter(type__in=programme.eligible_types)
    regions = list(programme.eligible_regions.values_list("path", flat=True))
    if regions:
        within = Q(pk__in=[])
        for path in regions:
            within |= Q(path__startswith=path)
        units = units.filter(within)
    return units


class ApplicationForm(forms.Form):
    unit = UnitChoice(label=_("Applicant unit"), queryset=OrgUnit.objects.none())
    aims = forms.CharField(label=_("Aims"), widget=_lines(3))
    approach = forms.CharField(label=_("Approach"), widget=_lines(4))
    resources = forms.CharField(label=_("Resources"), widget=_lines(3), required=False)
    baseline = forms.CharField(label=_("Baseline figures"), widget=_lines(3), required=False,
                               help_text=_("One a line: indicator = value."))
    contact_name = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    contact_info = forms.CharField(label=_("Contact details"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, programme: Programme, application: Application | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["unit"].queryset = eligible_units(user, programme).order_by("path")
        if application is not None:
            self.fields["unit"].disabled = True
            self.fields["unit"].required = False
        names = programme.indicator_names()
        if names:
            self.fields["baseline"].widget.attrs["placeholder"] = "\n".join(f"{n} = " for n in names)

    def clean_baseline(self) -> dict:
        try:
            return rules.parse_figures(self.cleaned_data["baseline"], self.programme.indicator_names())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("shortlist", _("Shortlist")), ("approve", _("Approve: start the pilot")), ("decline", _("Decline"))])
    reason = forms.CharField(label=_("Reason"), widget=_lines(3), required=False,
                             help_text=_("Required when declining; shown to the applicant."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PilotForm(forms.Form):
    contact_name = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    contact_info = forms.CharField(label=_("Contact details"), max_length=200, required=False)
    participants = UnitsChoice(label=_("Participants"), queryset=OrgUnit.objects.none(), required=False)
    milestones = forms.CharField(label=_("Milestones"), widget=_lines(5, "2027-03-31 完成教师全员培训"), required=False,
                                 help_text=_("One a line: YYYY-MM-DD title; end with [x] when done."))
    ends_on = forms.DateField(label=_("Ends"), widget=DATE, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = authz.scope(user, OrgUnit).filter(
            is_active=True, type__in=["city", "county", "school", "university", "other"]).order_by("path")

    def clean_milestones(self) -> list[dict]:
        try:
            return rules.parse_milestones(self.cleaned_data["milestones"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class EntryForm(forms.Form):
    entry_date = forms.DateField(label=_("Date"), widget=DATE)
    period = forms.CharField(label=_("Period"), max_length=40, required=False, help_text=_("e.g. 2026-Q4"))
    done = forms.CharField(label=_("What was done"), widget=_lines(4))
    problems = forms.CharField(label=_("Problems met"), widget=_lines(3), required=False)
    figures = forms.CharField(label=_("Indicator figures"), widget=_lines(3), required=False,
                              help_text=_("One a line: indicator = value."))
    escalate = forms.BooleanField(label=_("Raise the problems to the level above"), required=False)

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot = pilot
        names = pilot.programme.indicator_names()
        if names:
            self.fields["figures"].widget.attrs["placeholder"] = "\n".join(f"{n} = " for n in names)

    def clean_figures(self) -> dict:
        try:
            return rules.parse_figures(self.cleaned_data["figures"], self.pilot.programme.indicator_names())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Evidence file"))


class AnswerForm(forms.Form):
    response = forms.CharField(label=_("Answer"), widget=_lines(3))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Review.Kind.choices, initial=Review.Kind.FINAL)
    aims_vs_results = forms.CharField(label=_("Aims against results"), widget=_lines(4))
    results = forms.CharField(label=_("Figures now"), widget=_lines(3), required=False,
                              help_text=_("One a line: indicator = value; compared with the pilot's baseline."))
    what_worked = forms.CharField(label=_("What worked"), widget=_lines(3), required=False)
    essential_problems = forms.CharField(label=_("Essential problems"), widget=_lines(3), required=False)
    core_problems = forms.CharField(label=_("Core problems"), widget=_lines(3), required=False)
    lessons = forms.CharField(label=_("Lessons"), widget=_lines(3), required=False)
    reuse_conditions = forms.CharField(label=_("Conditions for reuse"), widget=_lines(3), required=False)
    cost = forms.DecimalField(label=_("Cost (10,000 yuan)"), max_digits=12, decimal_places=2, min_value=0, required=False)
    cost_notes = forms.CharField(label=_("Cost notes"), widget=_lines(2), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, pilot: Pilot, review: Review | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pilot = pilot
        if review is not None:
            del self.fields["kind"]

    def clean_results(self) -> dict:
        try:
            return rules.parse_figures(self.cleaned_data["results"], self.pilot.programme.indicator_names())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("promote", _("Promote: make it a replicable solution")), ("continue", _("Continue")),
        ("adjust", _("Adjust and continue")), ("close", _("Close")), ("return", _("Return for rework"))])
    reason = forms.CharField(label=_("Reasons"), widget=_lines(3), required=False,
                             help_text=_("Required unless promoting."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        if review.kind == Review.Kind.MIDTERM:
            self.fields["decision"].choices = [c for c in self.fields["decision"].choices if c[0] != "promote"]


STATUS_CHOICES = {
    "programme": Programme.Status.choices, "application": Application.State.choices, "pilot": Pilot.State.choices,
    "review": Review.State.choices, "entry": ProgressEntry.Escalation.choices,
}
