"""The answers as a person reads them: one section per answered step, one line per field.

Used by the review page, the receipt PDF and the back office, so all three show the same words.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.definitions import Workflow

_YES_NO = {"fr": ("Oui", "Non"), "en": ("Yes", "No")}


@dataclass(frozen=True)
class ReviewLine:
    label: str
    value: str
    pointer: str


@dataclass(frozen=True)
class ReviewSection:
    step: str
    title: str
    lines: tuple[ReviewLine, ...]


def review(wf: Workflow, data: Mapping[str, Mapping[str, Any]], steps: Sequence[str],
           lang: str = "fr",
           labels: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None
           ) -> list[ReviewSection]:
    """``labels`` (``SubmissionState.labels``) give the words of the choices made in
    dynamic-choice fields; without one, such a field shows its value as stored."""
    sections = []
    for name in steps:
        form = wf.form_of(name)
        if form is None or name not in data:
            continue
        chosen = (labels or {}).get(name, {})
        fields = {k: {**f, "options": {str(data[name].get(k)): chosen[k]}}
                  if f.get("choices") == "dynamic" and k in chosen else f
                  for k, f in form.fields.items()}
        lines = tuple(_lines(fields, data[name], "", lang, ""))
        sections.append(ReviewSection(name, wf.steps[name].title.text(lang), lines))
    return sections


def _lines(fields: Mapping[str, Any], values: Mapping[str, Any], prefix: str, lang: str,
           pointer: str) -> Iterator[ReviewLine]:
    for name, field in fields.items():
        label = prefix + field["label"][lang]
        value = values.get(name)
        here = f"{pointer}/{name}"
        if field.get("widget") == "hidden":  # kept for the service (an id), not read by people
            continue
        if field.get("widget") == "repeat" and isinstance(value, list):
            if not value:
                yield ReviewLine(label, "—", here)
            for i, item in enumerate(value):
                item_label = field.get("item_label", {}).get(lang, "{n}").replace("{n}", str(i + 1))
                yield from _lines(field.get("items", {}), item, f"{item_label} — ", lang,
                                  f"{here}/{i}")
        else:
            yield ReviewLine(label, display(field, value, lang), here)


def display(field: Mapping[str, Any], value: Any, lang: str) -> str:
    """One answer as text: option labels, yes/no, dates and euros written the local way."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        yes, no = _YES_NO.get(lang, _YES_NO["fr"])
        return yes if value else no
    options = field.get("options")
    if options and str(value) in options:
        return str(options[str(value)][lang])
    widget = field.get("widget")
    if widget == "date" and isinstance(value, str) and len(value) == 10:
        year, month, day = value.split("-")
        return f"{day}/{month}/{year}" if lang == "fr" else value
    if widget == "money":
        return money(str(value), lang)
    return str(value)


def money(raw: str, lang: str) -> str:
    try:
        amount = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return raw
    text = f"{amount:,.2f}"
    if lang == "fr":
        return text.replace(",", "\u202f").replace(".", ",") + "\u00a0€"
    return "€" + text
