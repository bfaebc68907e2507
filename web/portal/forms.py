"""WTForms classes built from the form definitions, and the way between a page and the engine.

One class per form and language, built the first time it is needed and kept (definitions never
change once compiled). WTForms parses the posted fields (repeating groups included) and draws
them; it validates nothing: the answers it reads are checked by the engine, exactly as the API
checks them, and the engine's errors (JSON Pointers) are placed back next to their fields.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import Field, FieldList, FormField
from wtforms import Form as WTForm
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField

from engine import FieldError, Form, Workflow
from rules import Choice
from web.i18n import LANGUAGES
from web.portal.fields import FIELD_TYPES, MISSING, Spec, widget_of


class StepForm(WTForm):  # type: ignore[misc]
    """The base of every generated form. CSRF is checked for every POST by CSRFProtect."""


class PostedFields:
    """The posted fields (what WTForms reads of them), with the indices of every repeating group
    found once.

    WTForms' ``FieldList`` finds its elements by scanning every posted name: a list inside each
    of 5,000 elements (each employee's events) would scan the 40,000 names 5,000 times (18 s,
    ``bench/step_page.py``). Here the names are read once; ``RepeatList`` asks for its indices
    by name."""

    def __init__(self, posted: MultiDict[str, Any]) -> None:
        self.posted = posted
        found: dict[str, set[int]] = {}
        for key in posted:
            parts = key.split("-")
            for i in range(1, len(parts)):
                if parts[i].isascii() and parts[i].isdigit():
                    found.setdefault("-".join(parts[:i]), set()).add(int(parts[i]))
        self.indices = found

    def getlist(self, key: str) -> list[Any]:
        return self.posted.getlist(key)

    def __contains__(self, key: object) -> bool:
        return key in self.posted

    def __iter__(self) -> Iterator[str]:
        return iter(self.posted)

    def __len__(self) -> int:
        return len(self.posted)


class RepeatList(FieldList):  # type: ignore[misc]
    """A repeating group: a ``FieldList`` that finds its elements in :class:`PostedFields`."""

    def _extract_indices(self, prefix: str, formdata: Any) -> Iterable[int]:
        if isinstance(formdata, PostedFields):
            return formdata.indices.get(prefix, ())
        return super()._extract_indices(prefix, formdata)  # type: ignore[no-any-return]

    def show_lazily(self, data: list[Any]) -> None:
        """Hold stored answers as elements made one at a time when asked for
        (:class:`LazyEntries`)."""
        self.object_data = data
        self.entries = LazyEntries(self, data)
        self.last_index = len(data) - 1

    def make_entry(self, index: int, data: Any) -> Field:
        """The element ``index`` holding ``data``, as ``FieldList._add_entry`` makes it."""
        options = {"name": f"{self.name}{self._separator}{index}",
                   "id": f"{self.id}{self._separator}{index}",
                   "_meta": self.meta, "translations": self._translations}
        entry = self.meta.bind_field(self._form, self.unbound_field, options)
        entry.index = index
        entry.short_name = str(index)
        entry.process(None, data)
        return entry


class LazyEntries(Sequence[Field]):
    """The elements of a repeating group filled with stored answers, each made when asked for and
    not kept: a step page draws a wage declaration's 5,000 lines one by one (``Items`` of
    ``web/portal/layout.py``), and the 40,000 WTForms fields of all the lines at once were a
    third of its memory (``bench/wage_declaration.py``). Only for a page drawn from stored
    answers (:func:`make_form` ``lazy``); what is posted is read into a plain list."""

    def __init__(self, owner: RepeatList, data: list[Any]) -> None:
        self.owner, self.data = owner, data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.data)))]
        index = range(len(self.data))[index]  # IndexError past the end; negative from the end
        return self.owner.make_entry(index, self.data[index])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


_CLASSES: dict[tuple[int, str], tuple[Form, type[StepForm]]] = {}
_LOCK = threading.Lock()


def form_class(form: Form, lang: str) -> type[StepForm]:
    key = (id(form), lang)
    found = _CLASSES.get(key)
    if found is None or found[0] is not form:
        with _LOCK:
            found = (form, _build(form.fields, form.schema, lang, form.name))
            _CLASSES[key] = found
    return found[1]


def prepare_forms(workflows: Iterable[Workflow]) -> None:
    """Build the classes of the current definitions at start-up, not on a member's request."""
    for wf in workflows:
        for form in wf.forms.values():
            for lang in LANGUAGES:
                form_class(form, lang)


def _text(spec: Spec, key: str, lang: str) -> str:
    value = spec.get(key)
    return str(value[lang]) if isinstance(value, Mapping) else ""


def _build(fields: Mapping[str, Spec], schema: Mapping[str, Any], lang: str,
           name: str) -> type[StepForm]:
    attrs: dict[str, Any] = {}
    properties = schema.get("properties", {})
    for field_name, spec in fields.items():
        sub = properties.get(field_name, {})
        widget = widget_of(spec, sub)
        common = {"label": _text(spec, "label", lang), "description": _text(spec, "help", lang)}
        if widget == "repeat":
            item_class = _build(spec.get("items", {}), sub.get("items", {}), lang,
                                f"{name}_{field_name}")
            # no max_entries: too many elements are the engine's to refuse, as for the API
            attrs[field_name] = RepeatList(FormField(item_class), **common)
        else:
            attrs[field_name] = FIELD_TYPES[widget].build(spec, sub, lang, common)
    return type(f"{name}_{lang}", (StepForm,), attrs)


# -- page -> answers -> page ---------------------------------------------------------------------

def read_answers(form: WTForm, fields: Mapping[str, Spec],
                 schema: Mapping[str, Any]) -> dict[str, Any]:
    """What the member wrote, as the answers the engine checks (left-out answers omitted)."""
    answers: dict[str, Any] = {}
    properties = schema.get("properties", {})
    for name, spec in fields.items():
        sub = properties.get(name, {})
        widget = widget_of(spec, sub)
        bound = form[name]
        if widget == "repeat":
            answers[name] = [read_answers(entry.form, spec.get("items", {}), sub.get("items", {}))
                             for entry in bound.entries]
            continue
        value = FIELD_TYPES[widget].read(bound.data, sub)
        if value is not MISSING:
            answers[name] = value
    return answers


def shown_answers(answers: Mapping[str, Any] | None, fields: Mapping[str, Spec],
                  schema: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers as the form's ``data``, to fill the page in again."""
    data: dict[str, Any] = {}
    answers = answers if isinstance(answers, Mapping) else {}
    properties = schema.get("properties", {})
    for name, spec in fields.items():
        if name not in answers:
            continue
        sub = properties.get(name, {})
        widget = widget_of(spec, sub)
        value = answers[name]
        if widget == "repeat":
            data[name] = [shown_answers(item, spec.get("items", {}), sub.get("items", {}))
                          for item in value] if isinstance(value, list) else []
        else:
            data[name] = FIELD_TYPES[widget].show(value)
    return data


def make_form(form: Form, lang: str, formdata: MultiDict[str, Any] | None = None,
              answers: Mapping[str, Any] | None = None, lazy: bool = False) -> StepForm:
    """``lazy``: the elements of the form's repeating groups made only when asked for, each
    time anew (:class:`LazyEntries`): for a page that only draws them, once each."""
    cls = form_class(form, lang)
    if formdata is not None:
        return cls(formdata=PostedFields(formdata))
    data = shown_answers(answers, form.fields, form.schema)
    if not lazy:
        return cls(data=data)
    held = {name: data.pop(name) for name in list(data)
            if _repeats(getattr(cls, name, None))}
    bound = cls(data=data)
    for name, items in held.items():
        bound[name].show_lazily(items)
    return bound


def _repeats(unbound: Any) -> bool:
    return isinstance(unbound, UnboundField) and issubclass(unbound.field_class, RepeatList)


def set_choices(bound: StepForm, offered: Mapping[str, Sequence[Choice]], lang: str) -> list[str]:
    """Give this page's dynamic-choice fields (``choices: dynamic``) the choices the engine
    computed for this member now; the names of those left with none (nothing to choose)."""
    empty = []
    for name, found in offered.items():
        field_ = bound[name]
        options = [SelectChoice(c.value, c.en if lang == "en" else c.fr) for c in found]
        if field_.type == "SelectField":
            options = [SelectChoice("", "Choose…" if lang == "en" else "Choisissez…"), *options]
        field_.choices = options
        if not found:
            empty.append(name)
    return empty


def present_label(fields: Mapping[str, Any], name: str, lang: str) -> str:
    label = fields.get(name, {}).get("label")
    return str(label[lang]) if isinstance(label, Mapping) else name


# -- adding and removing elements of a repeating group (no JavaScript needed) ---------------------

@dataclass(frozen=True)
class ListChange:
    form: StepForm
    focus: str | None
    """The id of the field to focus on: the first field of an added element."""


def change_list(form: Form, lang: str, bound: StepForm, action: str) -> ListChange | None:
    """``add:children`` or ``remove:incomes-2`` applied to what the page holds; None when the
    action names no list (or would go past the list's bounds)."""
    kind, _, target = action.partition(":")
    if kind not in ("add", "remove") or not target:
        return None
    data = bound.data
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in target.split("-")]
    if kind == "remove":
        if len(parts) < 2 or not isinstance(parts[-1], int):
            return None
        index, parts = parts[-1], parts[:-1]
    holder, schema = _walk(data, form.schema, parts)
    if not isinstance(holder, list):
        return None
    focus_index = None
    if kind == "add":
        limit = schema.get("maxItems")
        if limit is not None and len(holder) >= limit:
            return None
        holder.append({})
        focus_index = len(holder) - 1
    else:
        if not 0 <= index < len(holder):
            return None
        del holder[index]
    changed = form_class(form, lang)(data=data)
    focus = None
    if focus_index is not None:
        prefix = "-".join(str(p) for p in parts)
        entry = _find(changed, f"{prefix}-{focus_index}")
        if entry is not None:
            first = next((f for f in entry.form if f.type not in UNFOCUSABLE), None)
            focus = None if first is None else anchor_of(first)
    return ListChange(changed, focus)


UNFOCUSABLE = frozenset({"HiddenField", "InfoField"})
"""Fields nobody types in: never the one an added element's focus goes to."""


def _walk(data: Any, schema: Mapping[str, Any], parts: Sequence[str | int]) \
        -> tuple[Any, Mapping[str, Any]]:
    for part in parts:
        if isinstance(part, int) and isinstance(data, list) and 0 <= part < len(data):
            data, schema = data[part], schema.get("items", {})
        elif isinstance(part, str) and isinstance(data, dict) and part in data:
            data, schema = data[part], schema.get("properties", {}).get(part, {})
        else:
            return None, {}
    return data, schema


def _find(form: WTForm, name: str) -> Any:
    for bound in form:
        if bound.name == name:
            return bound
        if isinstance(bound, FieldList):
            for entry in bound.entries:
                if entry.name == name:
                    return entry
                found = _find(entry.form, name)
                if found is not None:
                    return found
    return None


# -- errors back to their fields -----------------------------------------------------------------

def anchor_of(bound: Field) -> str:
    """The id a link to this field should target: the first button of a group of radios."""
    if bound.type == "RadioField":
        return f"{bound.id}-0"
    return str(bound.id)


@dataclass
class PlacedErrors:
    by_field: dict[str, list[str]] = field(default_factory=dict)
    summary: list[tuple[str, str]] = field(default_factory=list)
    """(anchor, message) in the order of the page."""


def place_errors(form: WTForm, errors: Sequence[FieldError], lang: str,
                 top: str = "step-form") -> PlacedErrors:
    placed = PlacedErrors()
    for error in errors:
        bound, entry = _located(form, error.path)
        message = error.message.text(lang)
        if bound is not None and bound.type == "HiddenField":
            # nothing to see nor to fix there: the message goes on the element holding it
            bound = entry
        if bound is None:
            placed.summary.append((top, message))
            placed.by_field.setdefault("", []).append(message)
            continue
        placed.by_field.setdefault(str(bound.id), []).append(message)
        placed.summary.append((anchor_of(bound), message))
    return placed


def _deepest(form: WTForm, pointer: str) -> Field | None:
    """The field an error's JSON Pointer leads to, as deep as the page has it
    (``/employees/3/events/1/end``: that element's ``end``)."""
    return _located(form, pointer)[0]


def _located(form: WTForm, pointer: str) -> tuple[Field | None, Field | None]:
    """:func:`_deepest`, and the innermost element of a repeating group on the way (or None)."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    found: Field | None = None
    entry: Field | None = None
    container: Any = form
    i = 0
    while i < len(parts):
        part = parts[i]
        if not isinstance(container, WTForm) or part not in container:
            break
        found = container[part]
        i += 1
        if isinstance(found, FieldList) and i < len(parts) and parts[i].isdigit():
            index = int(parts[i])
            if index >= len(found.entries):
                break
            entry = found.entries[index]
            container = entry.form
            i += 1
        else:
            break
    return found, entry
