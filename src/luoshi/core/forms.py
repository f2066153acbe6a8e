"""Form helpers shared by every domain's views."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def attach_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form: on its fields where they exist, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# Unit choices as a searchable combobox ------------------------------------------------------------
#
# A choice list of thousands of units is unusable; these fields render a text box the user types a
# code or a name into. ``static/luoshi/autocomplete.js`` asks ``search_url`` (a view scoped through
# ``authz.units_where``) for matches and shows them as an ARIA listbox (arrow keys, Enter, Escape).
# Without JavaScript the typed code is resolved on the server. The submitted value may also be a
# unit id (scripts and tests post ids), in the field's own name.

SEPARATORS = (";", "；", ",", "，", "\n")


def unit_label(unit) -> str:
    return f"{unit.code} · {unit.name}"


def _code_of(token: str) -> str:
    return token.split("·", 1)[0].strip()


class UnitSearchInput(forms.Widget):
    template_name = ""  # rendered in render() below

    def __init__(self, *, multiple: bool = False, attrs=None):
        super().__init__(attrs)
        self.multiple = multiple
        self.search_url = ""
        self.placeholder = ""  # e.g. "All units" on a filter, where an empty box means no filter
        self.labels: dict[str, str] = {}
        self.resolved: list | None = None  # [unit] or [] once a filter has resolved what was sent

    def id_for_label(self, id_):
        return f"{id_}_search" if id_ else id_

    def value_from_datadict(self, data, files, name):
        if f"{name}_search" in data:
            return {"search": data.get(f"{name}_search", ""), "ids": data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]}
        if self.multiple:
            return data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_search" not in data

    def render(self, name, value, attrs=None, renderer=None):
        from django.utils.html import format_html
        from django.utils.safestring import mark_safe
        from django.utils.translation import gettext

        attrs = self.build_attrs(self.attrs, attrs or {})
        id_ = attrs.get("id", f"id_{name}")
        if self.resolved is not None:
            # what the field made of the submitted text and id: the unit's label, or an empty box
            ids = [str(unit.pk) for unit in self.resolved]
            text = "; ".join(unit_label(unit) for unit in self.resolved)
        elif isinstance(value, dict):
            text, ids = value.get("search", ""), [i for i in value.get("ids", []) if i]
        else:
            ids = [str(v) for v in (value if isinstance(value, (list, tuple)) else [value]) if v not in (None, "")]
            text = ("; " if self.multiple else "").join(self.labels.get(i, "") for i in ids) if ids else ""
        hidden = "" if self.multiple else format_html('<input type="hidden" name="{}" id="{}" value="{}">', name, id_, ids[0] if ids else "")
        hint = gettext("Type a code or a name, then choose from the list.") + (
            " " + gettext("Separate several units with semicolons.") if self.multiple else "")
        return format_html(
            '<div class="unit-search" data-unit-search="{}" data-multiple="{}">{}'
            '<input type="text" name="{}_search" id="{}_search" value="{}" role="combobox" autocomplete="off" '
            'aria-autocomplete="list" aria-expanded="false" aria-controls="{}_options" aria-describedby="{}_hint"{}>'
            '<ul id="{}_options" role="listbox" class="unit-options" hidden></ul>'
            '<div id="{}_hint" class="help">{}</div></div>',
            self.search_url, "true" if self.multiple else "false", hidden, name, id_, text, id_, id_,
            mark_safe(' required') if self.is_required else format_html(' placeholder="{}"', self.placeholder) if self.placeholder else "",
            id_, id_, hint)


class _UnitSearchMixin:
    def prepare_labels(self, units) -> None:
        self.widget.labels = {str(u.pk): unit_label(u) for u in units}

    def _resolve_codes(self, codes: list[str]):
        found = {u.code: u for u in self.queryset.filter(code__in=codes)}
        missing = [c for c in codes if c not in found]
        if missing:
            raise ValidationError(_no_unit_message(missing[0]), code="invalid_choice")
        return [found[c] for c in codes]


def _no_unit_message(code: str) -> str:
    from django.utils.translation import gettext

    return gettext("No unit with code %(code)s that you may choose here.") % {"code": code}


class UnitSearchField(_UnitSearchMixin, forms.ModelChoiceField):
    """One unit, typed or chosen in a combobox (see ``UnitSearchInput``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", UnitSearchInput())
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, dict):
            ids = [i for i in value.get("ids", []) if i]
            code = _code_of(value.get("search", ""))
            if ids:
                unit = super().to_python(ids[0])
                if unit is not None and (not code or unit.code == code):
                    return unit
            if not code:
                return None
            return self._resolve_codes([code])[0]
        return super().to_python(value)


class UnitsSearchField(_UnitSearchMixin, forms.ModelMultipleChoiceField):
    """Several units, as codes separated by semicolons, with the combobox's help."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", UnitSearchInput(multiple=True))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        if isinstance(value, dict):
            text = value.get("search", "")
            for sep in SEPARATORS[1:]:
                text = text.replace(sep, ";")
            codes = list(dict.fromkeys(c for c in (_code_of(t) for t in text.split(";")) if c))
            if not codes:
                if self.required:
                    raise ValidationError(self.error_messages["required"], code="required")
                return self.queryset.none()
            units = self._resolve_codes(codes)
            return self.queryset.filter(pk__in=[u.pk for u in units])
        return super().clean(value)
