from django import forms
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("What the token is for, e.g. 'monthly export script'."))


class AccountForm(forms.Form):
    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$",
                                help_text=_("Letters, digits and @/./+/-/_ only."))
    display_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None)
    role = forms.ChoiceField(label=_("Role"), choices=())
    covers_below = forms.BooleanField(label=_("Covers units below"), required=False)

    def __init__(self, *args, units=None, **kwargs):
        from luoshi.orgs.models import Role

        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["role"].choices = Role.choices


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                   min_length=10)
    new_password_again = forms.CharField(label=_("New password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data
