"""What a step page shows of each field: a tree the templates walk, one macro per field type.

Ids follow WTForms' names (``incomes-0-amount``), so an error's link, its message
(``<id>-error``), the help text (``<id>-hint``) and the input all agree. Repeating groups nest
(``employees-3-events-1-end``); an element's ``context`` names the elements holding it
("Salarié n° 4"), read by screen readers after its own legend and on its buttons.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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
    items: Items | list[ItemView] = field(default_factory=list)
    """A repeating group's elements: :class:`Items`, each drawn when the page reaches it."""
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
            view.items = Items(bound, spec, sub, lang, errors, focus, context)
            limit = sub.get("maxItems")
            if limit is None or len(bound.entries) < limit:
                view.add = f"add:{bound.name}"
            view.add_label = _text(spec, "add_label", lang) or view.label
        views.append(view)
    return views


class Items:
    """The elements of a repeating group, presented one at a time as they are iterated.

    A wage declaration's page holds 5,000 elements of 8 fields or more: presented all at once,
    their views would all be alive while the page is drawn (``bench/wage_declaration.py``).
    Presented here as the template reaches each one, an element's views are dropped once it is
    drawn (the page is streamed: ``web/portal/steps.py``). Iterated as often as needed, each time
    anew; its length and truth are those of the list's elements."""

    __slots__ = ("bound", "spec", "schema", "lang", "errors", "focus", "context")

    def __init__(self, bound: FieldList, spec: Spec, schema: Mapping[str, Any], lang: str,
                 errors: PlacedErrors, focus: str | None, context: str) -> None:
        self.bound, self.spec, self.schema, self.lang = bound, spec, schema, lang
        self.errors, self.focus, self.context = errors, focus, context

    def __len__(self) -> int:
        return len(self.bound.entries)

    def __bool__(self) -> bool:
        return bool(self.bound.entries)

    def __iter__(self) -> Iterator[ItemView]:
        for index in range(len(self.bound.entries)):
            yield self[index]

    def __getitem__(self, index: int) -> ItemView:
        entry = self.bound.entries[index]
        index = range(len(self.bound.entries))[index]  # a negative index counts from the end
        legend = self.spec.get("item_label", {}).get(self.lang, "{n}").replace(
            "{n}", str(index + 1))
        context, errors = self.context, self.errors
        children = present(entry.form, self.spec.get("items", {}), self.schema.get("items", {}),
                           self.lang, errors, self.focus,
                           f"{legend} — {context}" if context else legend)
        return ItemView(legend=legend, anchor=str(entry.id), fields=children,
                        remove=f"remove:{entry.name}", context=context,
                        errors=errors.by_field.get(str(entry.id), []))


def _text(spec: Spec, key: str, lang: str) -> str:
    value = spec.get(key)
    return str(value[lang]) if isinstance(value, Mapping) else ""
