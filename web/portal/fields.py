"""The field-type registry: each ``widget`` of a form definition, as a page shows it.

A :class:`FieldType` says three things: which WTForms field draws the widget, how the text a
browser sends becomes the answer the engine checks (``read``), and how a stored answer is put back
in the page (``show``). Reading never judges: text that does not parse is passed on as it is, and
the engine's validation (the same as the API's) says what is wrong with it. A new widget is one
entry here and one macro in ``templates/portal/fields.html``.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import DateInput, Input, RadioInput, Select
from wtforms.widgets.core import clean_key

MISSING: Any = object()
"""An answer left out: the key is not sent to the engine (which says if it was required)."""

Spec = Mapping[str, Any]
"""One entry of a form's ``fields``: label, help, widget, options..."""


@dataclass(frozen=True)
class FieldType:
    template: str
    """The macro of ``templates/portal/fields.html`` that draws it."""
    build: Callable[[Spec, Mapping[str, Any], str, dict[str, Any]], Field]
    """(spec, schema, lang, common keyword arguments) -> an unbound WTForms field."""
    read: Callable[[Any, Mapping[str, Any]], Any]
    """(the field's data, schema) -> the answer, or MISSING."""
    show: Callable[[Any], Any]
    """A stored answer -> the field's data."""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def read_text(data: Any, schema: Mapping[str, Any]) -> Any:
    text = _text(data).strip()
    return text if text else MISSING


def read_multiline(data: Any, schema: Mapping[str, Any]) -> Any:
    text = _text(data).replace("\r\n", "\n").replace("\r", "\n").strip()
    return text if text else MISSING


_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def read_number(data: Any, schema: Mapping[str, Any]) -> Any:
    """Whole numbers as integers; decimals (``2,5``) too where the schema allows them."""
    text = _SPACES.sub("", _text(data))
    if not text:
        return MISSING
    if re.fullmatch(r"-?[0-9]{1,15}", text):
        return int(text)
    if schema.get("type") == "number" and re.fullmatch(r"-?[0-9]{1,15}[.,][0-9]{1,6}", text):
        return float(text.replace(",", "."))
    return text


def read_money(data: Any, schema: Mapping[str, Any]) -> Any:
    """``12 345,50 €`` -> ``12345,50``: spaces and the euro sign are how people write amounts."""
    text = _SPACES.sub("", _text(data)).removesuffix("€").removeprefix("€")
    return text if text else MISSING


_FRENCH_DATE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")


def read_date(data: Any, schema: Mapping[str, Any]) -> Any:
    """ISO dates from a date picker; ``dd/mm/yyyy`` typed where there is none."""
    text = _text(data).strip()
    if not text:
        return MISSING
    found = _FRENCH_DATE.fullmatch(text)
    if found:
        day, month, year = found.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


def read_choice(data: Any, schema: Mapping[str, Any]) -> Any:
    text = _text(data)
    if not text:
        return MISSING
    if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]{1,15}", text):
        return int(text)
    return text


def read_checkbox(data: Any, schema: Mapping[str, Any]) -> Any:
    return bool(data)


def read_yes_no(data: Any, schema: Mapping[str, Any]) -> Any:
    return {"true": True, "false": False}.get(_text(data), MISSING)


def read_nothing(data: Any, schema: Mapping[str, Any]) -> Any:
    return MISSING


def show_text(value: Any) -> Any:
    return None if value is None else str(value)


def show_yes_no(value: Any) -> Any:
    return None if value is None else ("true" if value else "false")


def _options(spec: Spec, lang: str) -> list[SelectChoice]:
    return [SelectChoice(str(value), str(label[lang]))
            for value, label in spec.get("options", {}).items()]


class InfoField(Field):  # type: ignore[misc]
    """A text to read: nothing to fill in, nothing sent."""

    def __call__(self, **kwargs: Any) -> Markup:
        return Markup("")

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None


def _short(kind: str) -> dict[str, Any]:
    return {"inputmode": kind, "autocomplete": "off", "spellcheck": "false"}


def _bounded(schema: Mapping[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    attributes = dict(extra or {})
    if "maxLength" in schema:
        attributes["maxlength"] = schema["maxLength"]
    return attributes


def html_params(**kwargs: Any) -> Markup:
    """WTForms' ``html_params``, the same output, several times faster: a page of 5,000
    repeated elements draws 40,000 inputs (``bench/step_page.py``), and the original formats each
    attribute through ``Markup.format``."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            params.append(_clean_key(key))
        elif value is not False:
            text = str(escape(value)).replace('"', "&quot;")
            params.append(f'{_clean_key(key)}="{text}"')
    return Markup(" ".join(params))  # noqa: S704 - every value went through escape()


_clean_key = functools.lru_cache(maxsize=512)(clean_key)


def _fast(widget: Any) -> Any:
    """An input widget drawn with :func:`html_params` (other widgets are left as they are)."""
    if not isinstance(widget, Input):
        return widget
    widget = copy.copy(widget)
    widget.html_params = html_params
    return widget


class FastSelect(Select):  # type: ignore[misc]
    """WTForms' ``Select``, its options drawn with :func:`html_params`."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        options = {"value": value, **(choice.render_kw or {}), **kwargs}
        if choice.selected:
            options["selected"] = True
        label = escape(choice.label or choice.value)
        return Markup(f"<option {html_params(**options)}>{label}</option>")  # noqa: S704 - escaped


def _field(cls: type[Field], render: Callable[[Mapping[str, Any]], dict[str, Any]],
           **fixed: Any) -> Callable[[Spec, Mapping[str, Any], str, dict[str, Any]], Field]:
    widget = _fast(fixed.pop("widget", cls.widget))

    def build(spec: Spec, schema: Mapping[str, Any], lang: str,
              common: dict[str, Any]) -> Field:
        return cls(render_kw=render(schema), widget=widget, **fixed, **common)
    return build


def _choices(cls: type[Field], blank: dict[str, str] | None = None) \
        -> Callable[[Spec, Mapping[str, Any], str, dict[str, Any]], Field]:
    def build(spec: Spec, schema: Mapping[str, Any], lang: str,
              common: dict[str, Any]) -> Field:
        choices = _options(spec, lang)
        if blank is not None:
            choices = [SelectChoice("", blank[lang]), *choices]
        return cls(choices=choices, validate_choice=False, **_widgets(cls), **common)
    return build


def _widgets(cls: type[Field]) -> dict[str, Any]:
    """Fast widgets for a field of choices: the same HTML as WTForms' own."""
    if issubclass(cls, RadioField):
        return {"option_widget": _fast(RadioInput())}
    if issubclass(cls, SelectField):
        return {"widget": FastSelect()}
    return {}


def _yes_no(spec: Spec, schema: Mapping[str, Any], lang: str, common: dict[str, Any]) -> Field:
    labels = {"fr": ("Oui", "Non"), "en": ("Yes", "No")}[lang]
    return RadioField(choices=[SelectChoice("true", labels[0]), SelectChoice("false", labels[1])],
                      validate_choice=False, **_widgets(RadioField), **common)


FIELD_TYPES: dict[str, FieldType] = {
    "text": FieldType("text", _field(StringField, lambda s: _bounded(s, {"autocomplete": "off"})),
                      read_text, show_text),
    "textarea": FieldType("textarea", _field(TextAreaField, lambda s: _bounded(s, {"rows": 6})),
                          read_multiline, show_text),
    "email": FieldType("text", _field(EmailField, lambda s: _bounded(
        s, {"autocomplete": "email", "spellcheck": "false"})), read_text, show_text),
    "number": FieldType("text", _field(StringField, lambda s: _short("numeric")),
                        read_number, show_text),
    "month_count": FieldType("text", _field(StringField, lambda s: _short("numeric")),
                             read_number, show_text),
    "money": FieldType("money", _field(StringField, lambda s: _short("decimal")),
                       read_money, show_text),
    "date": FieldType("text", _field(StringField, lambda s: {}, widget=DateInput()),
                      read_date, show_text),
    "select": FieldType("select", _choices(SelectField, {"fr": "Choisissez…",
                                                         "en": "Choose…"}),
                        read_choice, show_text),
    "radio": FieldType("radio", _choices(RadioField), read_choice, show_text),
    "checkbox": FieldType("checkbox", _field(BooleanField, lambda s: {}), read_checkbox,
                          lambda value: bool(value)),
    "yes_no": FieldType("radio", _yes_no, read_yes_no, show_yes_no),
    "info": FieldType("info", _field(InfoField, lambda s: {}), read_nothing, lambda value: None),
    # a value the page keeps for the engine (a pre-filled line's id): never labelled nor shown
    "hidden": FieldType("hidden", _field(HiddenField, lambda s: {}), read_text, show_text),
}
"""``repeat`` is not here: a repeating group is a list of sub-forms (see ``forms.py``)."""


def widget_of(spec: Spec, schema: Mapping[str, Any]) -> str:
    """The widget the definition names, or the one its schema implies."""
    named = spec.get("widget")
    if isinstance(named, str):
        return named
    kind = schema.get("type")
    if kind == "array":
        return "repeat"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if "enum" in schema:
        return "select"
    if schema.get("format") == "date":
        return "date"
    return "text"
