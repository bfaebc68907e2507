"""What a step page shows of each field: a tree the templates walk, one macro per field type.

Ids follow WTForms' names (``incomes-0-amount``), so an error's link, its message
(``<id>-error``), the help text (``<id>-hint``) and the input all agree. Repeating groups nest
(``employees-3-events-1-end``); an element's ``context`` names the elements holding it
("Salarié n° 4"), read by screen readers after its own legend and on its buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wtforms import Field, FieldList
from wtforms import Form as WTForm

from web.portal.fields import FIELD_TYPES, Spec, widget_of
from web.portal.forms import PlacedErrors, anchor_of


@dataclass
class ItemView:
    legend: str
    anchor: str
    fields: list[FieldView]
    remove: str
    """The value of the remove button: ``remove:<list>-<index>``."""
    context: str = ""
    """The legends of the elements holding this one, innermost first ("Salarié n° 4")."""
    errors: list[str] = field(default_factory=list)
    """Errors on a hidden field of the element: shown on the element, which their link targets."""


@dataclass
class FieldView:
    bound: Field
    template: str
    label: str
    help: str
    required: bool
    anchor: str
    errors: list[str] = field(default_factory=list)
    document: str | None = None
    items: list[ItemView] = field(default_factory=list)
    add: str | None = None
    """The value of the add button (``add:<list>``), None when the list is full."""
    add_label: str = ""
    focus: bool = False
    context: str = ""
    """The legends of the elements holding this field ("Salarié n° 4"), for screen readers."""

    @property
    def id(self) -> str:
        return str(self.bound.id)

    @property
    def describedby(self) -> str:
        ids = [f"{self.id}-hint"] if self.help else []
        if self.errors:
            ids.append(f"{self.id}-error")
        return " ".join(ids)

    def attrs(self, css: str = "input") -> dict[str, Any]:
        """The input's attributes: its class, its help and error, its state."""
        found: dict[str, Any] = {"class_": css}
        if self.describedby:
            found["aria_describedby"] = self.describedby
        if self.errors:
            found["aria_invalid"] = "true"
        if self.focus:
            found["autofocus"] = True
        return found


def present(form: WTForm, fields: Mapping[str, Spec], schema: Mapping[str, Any], lang: str,
            errors: PlacedErrors, focus: str | None = None,
            context: str = "") -> list[FieldView]:
    views = []
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    for name, spec in fields.items():
        sub = properties.get(name, {})
        widget = widget_of(spec, sub)
        bound = form[name]
        anchor = anchor_of(bound)
        view = FieldView(
            bound=bound, template="repeat" if widget == "repeat" else
            FIELD_TYPES[widget].template, label=_text(spec, "label", lang),
            help=_text(spec, "help", lang), required=name in required,
            anchor=anchor, errors=errors.by_field.get(str(bound.id), []),
            document=spec.get("document"), focus=focus == anchor, context=context)
        if widget == "repeat" and isinstance(bound, FieldList):
            item_label = spec.get("item_label", {}).get(lang, "{n}")
            for index, entry in enumerate(bound.entries):
                legend = item_label.replace("{n}", str(index + 1))
                children = present(entry.form, spec.get("items", {}), sub.get("items", {}),
                                   lang, errors, focus,
                                   f"{legend} — {context}" if context else legend)
                view.items.append(ItemView(
                    legend=legend, anchor=str(entry.id), fields=children,
                    remove=f"remove:{entry.name}", context=context,
                    errors=errors.by_field.get(str(entry.id), [])))
            limit = sub.get("maxItems")
            if limit is None or len(bound.entries) < limit:
                view.add = f"add:{bound.name}"
            view.add_label = _text(spec, "add_label", lang) or view.label
        views.append(view)
    return views


def _text(spec: Spec, key: str, lang: str) -> str:
    value = spec.get(key)
    return str(value[lang]) if isinstance(value, Mapping) else ""
