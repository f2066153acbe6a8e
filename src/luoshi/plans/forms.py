"""Forms of the plan pages. Choice lists come from ``authz``/``queries`` only (scoped)."""

from __future__ import annotations

import html
from datetime import date

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from luoshi.core import authz
from luoshi.core.forms import UnitSearchField, UnitsSearchField
from luoshi.orgs import queries as org_queries
from luoshi.orgs.models import OrgUnit
from luoshi.plans import queries, rules
from luoshi.plans.models import ItemKind, Light, Plan, PlanItem, ProgressReport

ALLOWED_IMPORT_SUFFIXES = (".csv", ".xlsx")


class FastSelect(forms.Select):
    """A select rendered in Python, not through a template per option: the filter forms of the
    plan and supervision pages list every unit in scope, and their template rendering was a fifth
    of those pages' time. Same markup as Django's select (name, attributes, selected option)."""

    def render(self, name, value, attrs=None, renderer=None):
        from django.forms.utils import flatatt
        from django.utils.html import format_html
        from django.utils.safestring import mark_safe

        choices = [choice for choice in self.choices]  # list() would ask the iterator for a COUNT first
        if not self.allow_multiple_selected and not any(isinstance(label, (list, tuple)) for _v, label in choices):
            # A flat single select (all of this app's filters): the options straight from the
            # choices, as ``optgroups`` would mark them (the first matching value selected).
            # ``escape`` is ``format_html``'s ``conditional_escape`` without its per-call dispatch
            # (dozens of options a select): safe strings as they are, everything else escaped.
            def escape(text) -> str:
                return text.__html__() if hasattr(text, "__html__") else html.escape(str(text))

            values = self.format_value(value)
            parts = [format_html('<select name="{}"{}>', name, flatatt(self.build_attrs(self.attrs, attrs)))]
            chosen = False
            for option_value, label in choices:
                option_value = "" if option_value is None else option_value
                selected = not chosen and str(option_value) in values
                chosen |= selected
                parts.append(f'<option value="{escape(option_value)}"{" selected" if selected else ""}>{escape(label)}</option>')
            parts.append("</select>")
            return mark_safe("\n".join(parts))
        return self.render_optgroups(name, value, attrs)

    def render_optgroups(self, name, value, attrs=None):
        """The general case, through Django's ``optgroups`` (groups, multiple selection)."""
        from django.forms.utils import flatatt
        from django.utils.html import format_html
        from django.utils.safestring import mark_safe

        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            for option in options:
                parts.append(format_html('<option value="{}"{}>{}</option>', option["value"], flatatt(option["attrs"]), option["label"]))
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("\n".join(parts))


class _ListedChoices(forms.models.ModelChoiceIterator):
    """Options read with one plain query (Django's iterator opens a server-side cursor on
    PostgreSQL: three round trips and a held cursor for a list of a few dozen units)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        # Only the columns the labels show (``UnitChoiceField.label_fields``): no time stamps to parse.
        for obj in list(self.queryset.select_related(None).only(*self.field.label_fields)):
            yield self.choice(obj)


class UnitChoiceField(forms.ModelChoiceField):
    iterator = _ListedChoices
    label_fields = ("pk", "depth", "name", "code")  # what ``label_from_instance`` reads

    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{'　' * max(obj.depth - 1, 0)}{obj.name} ({obj.code})"


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return UnitChoiceField.label_from_instance(self, obj)


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PlanItem) -> str:
        return f"{'— ' * obj.depth}{obj.code} {obj.title}".strip()


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# Plans ----------------------------------------------------------------------------------------

class PlanFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All statuses")), *Plan.Status.choices])


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    issuer = UnitChoiceField(label=_("Issuing unit"), queryset=OrgUnit.objects.none())
    start_year = forms.IntegerField(label=_("Start year"), min_value=2000, max_value=2100)
    end_year = forms.IntegerField(label=_("End year"), min_value=2000, max_value=2100)
    period = forms.ChoiceField(label=_("Reporting period"), choices=Plan.Period.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, plan: Plan | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if plan is None:
            self.fields["issuer"].queryset = authz.units_where(user, "add", Plan).order_by("path")
        else:
            del self.fields["issuer"]
            if plan.status != Plan.Status.DRAFT:
                for name in ("start_year", "end_year", "period"):
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Fixed once the plan is published.")

    def clean(self):
        data = super().clean()
        if data.get("start_year") and data.get("end_year") and data["end_year"] < data["start_year"]:
            self.add_error("end_year", _("The end year is before the start year."))
        return data


# Items ----------------------------------------------------------------------------------------

class UnitFilterField(UnitSearchField):
    """The unit filter of the plan and supervision pages: a combobox (``UnitSearchInput``) whose
    suggestions come from a search endpoint, so that a page view neither reads nor lists the units
    (a national plan's filter would list thousands); a chosen or typed unit is looked up among the
    units ``offer`` names, and only when the request names one. An empty box means all units, and
    the box shows the unit the filter uses by its label, however it was named (chosen, typed as a
    code, or by id alone in a link)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=OrgUnit.objects.none(), required=False, **kwargs)
        self.units = None

    def offer(self, search_url: str, units) -> None:
        """Suggest from ``search_url``; accept the units ``units()`` gives (called only to look up
        a unit the request names: its id, or text typed in the box)."""
        self.widget.search_url = search_url
        self.widget.placeholder = _("All units")
        self.units = units

    def to_python(self, value):
        if isinstance(value, dict) and not value.get("search", "").strip() or value in self.empty_values:
            return None  # no unit named (an emptied box: whatever the hidden id still says)
        self.queryset = self.units()
        return super().to_python(value)

    def clean(self, value):
        unit = super().clean(value)
        self.widget.resolved = [unit] if unit is not None else []
        return unit


def item_unit_choices(user, item_qs):
    """Units leading any of the (already scoped) items, and the visible units above them.

    Filtering by a unit includes the units below it, so a province is offered when only its
    districts lead items.
    """
    leads = org_queries.units(user).filter(pk__in=item_qs.values("lead_unit")).values_list("path", flat=True)
    ids = {int(part) for path in leads for part in path.strip("/").split("/") if part}
    return org_queries.units(user).filter(pk__in=ids).order_by("path")


class ItemFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    unit = UnitFilterField(label=_("Unit"), help_text=_("Includes the units below it."))
    light = forms.ChoiceField(label=_("Light"), required=False, choices=[("", _("All lights")), *Light.choices], widget=FastSelect)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *ItemKind.choices], widget=FastSelect)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, user, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].offer(reverse("plans:filter_unit_options", args=[plan.pk]),
                                  lambda: item_unit_choices(user, queries.items(user, plan)))

    def filters(self) -> dict:
        """The active filters as keyword arguments of ``queries.filtered_items`` (empty: none)."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        active = {"q": data["q"].strip(), "unit": data["unit"], "light": data["light"], "kind": data["kind"], "overdue": data["overdue"]}
        return {k: v for k, v in active.items() if v}


class ItemForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=64, required=False,
                           help_text=_("Leave empty to number it after its siblings."))
    kind = forms.ChoiceField(label=_("Kind"), choices=ItemKind.choices, initial=ItemKind.MEASURE)
    title = forms.CharField(label=_("Title"), max_length=500)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    lead_unit = UnitSearchField(label=_("Lead unit"), queryset=OrgUnit.objects.none())
    co_owners = UnitsSearchField(label=_("Co-owner units"), required=False, queryset=OrgUnit.objects.none())
    start_date = forms.DateField(label=_("Start date"), required=False, widget=_date_widget())
    due_date = forms.DateField(label=_("Due date"), required=False, widget=_date_widget())
    weight = forms.DecimalField(label=_("Weight"), min_value=0, max_digits=6, decimal_places=2, initial=1,
                                help_text=_("How much this item counts in its parent's progress."))
    deliverables = forms.CharField(label=_("Expected deliverables"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        from django.urls import reverse

        units = authz.units_where(user, "add", PlanItem).order_by("path")
        search_url = reverse("plans:unit_options")
        for name in ("lead_unit", "co_owners"):
            self.fields[name].queryset = units
            self.fields[name].widget.search_url = search_url
        # Labels only for the units already chosen (never the whole list).
        chosen = [v for v in [self.initial.get("lead_unit"), *(self.initial.get("co_owners") or [])] if v]
        ids = [getattr(v, "pk", v) for v in chosen]
        if ids:
            labelled = list(units.filter(pk__in=ids)) or list(OrgUnit.objects.filter(pk__in=ids))
            for name in ("lead_unit", "co_owners"):
                self.fields[name].prepare_labels(labelled)
        if not creating:
            del self.fields["code"]

    def clean(self):
        data = super().clean()
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", _("The due date is before the start date."))
        return data


class MoveForm(forms.Form):
    parent = ItemChoiceField(label=_("New parent"), required=False, queryset=PlanItem.objects.none(),
                             empty_label=_("(top level of the plan)"))
    position = forms.IntegerField(label=_("Position among its new siblings"), min_value=1, required=False,
                                  help_text=_("1 is first; leave empty to place it last."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, item: PlanItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = queries.items(user, item.plan).exclude(path__startswith=item.path)


# Reports --------------------------------------------------------------------------------------

def report_periods(plan: Plan, today: date) -> list[rules.Period]:
    """The plan's reporting periods that have started, newest first."""
    periods = [p for year in range(plan.start_year, plan.end_year + 1) for p in rules.periods_for_year(plan.period, year)]
    return sorted((p for p in periods if p.start <= today), key=lambda p: p.end, reverse=True)


class ReportTargetForm(forms.Form):
    """Which report to write: the period and, when the user reports for several units, the unit."""

    period = forms.ChoiceField(label=_("Period"), widget=forms.Select(attrs={"data-autosubmit": ""}))
    unit = forms.TypedChoiceField(label=_("Reporting unit"), coerce=int, widget=forms.Select(attrs={"data-autosubmit": ""}))

    def __init__(self, *args, periods: list[rules.Period], units: list[OrgUnit], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [(p.key, f"{p.key} ({p.start:%m-%d} – {p.end:%m-%d})") for p in periods]
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.units = {u.pk: u for u in units}
        if periods:
            self.fields["period"].initial = periods[0].key
        if units:
            self.fields["unit"].initial = units[0].pk

    def target(self) -> tuple[str, OrgUnit] | None:
        if not self.is_valid():
            return None
        return self.cleaned_data["period"], self.units[self.cleaned_data["unit"]]


class ReportForm(forms.Form):
    status = forms.ChoiceField(label=pgettext_lazy("progress report", "Status"), choices=ProgressReport.Status.choices, initial=ProgressReport.Status.ON_TRACK)
    percent = forms.DecimalField(label=_("Percent complete"), min_value=0, max_value=100, max_digits=5, decimal_places=2)
    achievements = forms.CharField(label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    problems = forms.CharField(label=_("Problems"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    next_steps = forms.CharField(label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Required when you return the report: say what is missing."))

    def clean(self):
        data = super().clean()
        if self.data.get("decision") == "return" and not data.get("comment", "").strip():
            self.add_error("comment", _("Say why the report is returned."))
        return data


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Evidence file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": settings.MAX_UPLOAD_BYTES // 1048576})
        return upload


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": settings.MAX_UPLOAD_BYTES // 1048576})
        if not upload.name.lower().endswith(ALLOWED_IMPORT_SUFFIXES):
            raise forms.ValidationError(_("Only .xlsx and .csv files can be imported."))
        return upload


# Supervision ----------------------------------------------------------------------------------

class SupervisionFilterForm(forms.Form):
    unit = UnitFilterField(label=_("Unit"), help_text=_("Includes the units below it."))
    light = forms.ChoiceField(label=_("Light"), required=False, widget=FastSelect,
                              choices=[("", _("Red or amber")), (Light.RED, Light.RED.label), (Light.AMBER, Light.AMBER.label)])
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].offer(reverse("plans:supervision_unit_options"),
                                  lambda: item_unit_choices(user, queries.supervision(user)))

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"unit": data["unit"], "light": data["light"], "overdue_only": data["overdue"]}
