from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from luoshi.core import authz
from luoshi.orgs.models import OrgUnit, Role, UnitType

ALLOWED_IMPORT_SUFFIXES = (".csv", ".xlsx")


class UnitForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=200)
    short_name = forms.CharField(label=_("Short name"), max_length=60, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=UnitType.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class MembershipForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    covers_below = forms.BooleanField(label=_("Covers units below"), required=False, initial=True)

    def clean_username(self):
        # Not looked up here: whether the account exists must not show in the answer.
        return self.cleaned_data["username"].strip()


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.csv or .xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": settings.MAX_UPLOAD_BYTES // 1048576})
        if not upload.name.lower().endswith(ALLOWED_IMPORT_SUFFIXES):
            raise forms.ValidationError(_("Only .csv and .xlsx files can be imported."))
        return upload


class UnitFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *UnitType.choices])


def unit_choices(user, action: str, model=OrgUnit):
    """Units offered in a choice list: only those where ``user`` may ``action``."""
    return authz.units_where(user, action, model).order_by("path")



class GroupForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ModelChoiceField(label=_("Owning unit"), queryset=OrgUnit.objects.none(),
                                   help_text=_("The unit that defines and maintains this group."))
    members = forms.ModelMultipleChoiceField(label=_("Member units"), required=False, queryset=OrgUnit.objects.none(),
                                             widget=forms.SelectMultiple(attrs={"size": 12}),
                                             help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        from luoshi.orgs.models import OrgGroup
        from luoshi.orgs import queries

        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = unit_choices(user, "add", OrgGroup)
        self.fields["members"].queryset = queries.units(user)
