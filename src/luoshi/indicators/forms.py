"""Forms of the indicator pages. Choice lists come from ``authz`` (scoped)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.indicators.models import Periodicity, ValueType
from luoshi.plans.forms import UnitChoiceField

ALLOWED_IMPORT_SUFFIXES = (".csv", ".xlsx")


class IndicatorFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    periodicity = forms.ChoiceField(label=_("Periodicity"), required=False,
                                    choices=[("", _("Any periodicity")), *Periodicity.choices])
    value_type = forms.ChoiceField(label=_("Value type"), required=False, choices=[])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[
        ("", _("Reported and derived")), ("reported", _("Reported")), ("derived", _("Derived by formula")),
        ("linked", _("Linked to plan items"))])


    def __init__(self, *args, **kwargs):
        from luoshi.indicators.display import VALUE_TYPE_LABELS

        super().__init__(*args, **kwargs)
        self.fields["value_type"].choices = [("", _("Any value type")), *[(v, VALUE_TYPE_LABELS[v]) for v in ValueType.values]]


class DataSetPeriodForm(forms.Form):
    """Which periods a data set's status table shows (the latest few, or one chosen)."""

    period = forms.ChoiceField(label=_("Period"), required=False)
    level = forms.ChoiceField(label=_("Level"), required=False)

    def __init__(self, *args, periods: list[str], levels: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", _("Latest periods")), *[(p, p) for p in periods]]
        self.fields["level"].choices = [("all", _("All levels")), *levels]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (XLSX or CSV)"),
                           help_text=_("Columns indicator, org_unit, period, value; optional category, comment."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_IMPORT_SUFFIXES):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        return upload


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Shown to the unit and kept in the audit trail."))


class TemplateForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=None, empty_label=None)
    period = forms.CharField(label=_("Period"), max_length=10, required=False,
                             help_text=_("e.g. 2024, 2024-H2, 2024-Q3 or 2024-M07; empty for a blank column."))
    format = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "XLSX"), ("csv", "CSV")], initial="xlsx")

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class QualityFilterForm(forms.Form):
    follow_up = forms.ChoiceField(label=_("Follow-up"), required=False, choices=[
        ("", _("All flagged values")), ("open", _("Marked for follow-up")), ("done", _("Not marked"))])
    period = forms.CharField(label=_("Period"), max_length=10, required=False)
