from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.audit.models import AuditRecord


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=_("Object"), required=False)
    actor = forms.CharField(label=_("Actor"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("All actions")), *AuditRecord.Action.choices])
    model = forms.ChoiceField(label=_("Kind"), required=False)
    batch = forms.CharField(label=_("Request or batch id"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, model_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All kinds")), *model_choices]
