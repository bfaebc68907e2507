"""A periodic declaration as the employer reads it: its lines, totals and Recouvrement's
records, for the history's detail page and the declaration's PDF (:mod:`web.pdf.declaration`).

The declaration's answers are read through its form definition, never by step name: the lines
are the items of the submitted repeat field whose items carry a ``gross`` amount (the
``wage_employees`` form); an event's kind is shown with its option label; a record (a corrective
or complementary declaration, ``SubmissionState.records``) through its transition's form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine import SubmissionState, Workflow
from rules.periods import period_label
from rules.wages import parse_amount, parse_hours
from web.db.models import Submission
from web.declarations import value_of
from web.pdf.declaration import Correction, Declaration, DeclarationLine, EventLine

__all__ = ["Declaration", "Summary", "declaration", "records", "summary"]


@dataclass(frozen=True)
class Summary:
    """What the history shows of one declaration."""

    period: str
    period_label: str
    employees: int
    gross: Decimal
    hours: Decimal


def _line_fields(fields: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """The repeat field whose items have a gross amount, and its item fields."""
    for name, spec in fields.items():
        items = spec.get("items") if isinstance(spec, Mapping) else None
        if spec.get("widget") == "repeat" and isinstance(items, Mapping) and "gross" in items:
            return name, items
    return None


def _lines_of(wf: Workflow, answers: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]],
                                                                Mapping[str, Any]]:
    """The declared lines (and their item fields) among ``answers`` (by step)."""
    for step, data in answers.items():
        form = wf.form_of(step) if step in wf.steps else None
        found = _line_fields(form.fields) if form is not None else None
        if found is not None and isinstance(data, Mapping):
            lines = data.get(found[0])
            if isinstance(lines, list):
                return [x for x in lines if isinstance(x, Mapping)], found[1]
    return [], {}


def _kind(items: Mapping[str, Any], kind: Any, lang: str) -> str:
    options = items.get("events", {}).get("items", {}).get("kind", {}).get("options", {})
    label = options.get(str(kind))
    return str(label[lang]) if isinstance(label, Mapping) else str(kind)


def _declaration_lines(lines: Iterable[Mapping[str, Any]], items: Mapping[str, Any],
                       lang: str) -> tuple[DeclarationLine, ...]:
    return tuple(DeclarationLine(
        last_name=str(x.get("last_name", "")), first_name=str(x.get("first_name", "")),
        registration=str(x.get("registration") or ""), birth_date=x.get("birth_date"),
        gross=str(x.get("gross", "0")), hours=str(x.get("hours", "0")),
        events=tuple(EventLine(_kind(items, e.get("kind"), lang), e.get("start"), e.get("end"))
                     for e in x.get("events") or [] if isinstance(e, Mapping)))
        for x in lines)


def summary(wf: Workflow, row: Submission) -> Summary:
    state = SubmissionState.from_json(row.state)
    lines, _items = _lines_of(wf, state.submitted or {})
    period = value_of(row.unique_key) or ""
    gross = sum((parse_amount(x.get("gross")) or Decimal(0) for x in lines), Decimal("0.00"))
    hours = sum((parse_hours(x.get("hours")) or Decimal(0) for x in lines), Decimal(0))
    label = period_label(period)[0] if period else ""
    return Summary(period, label, len(lines), gross, hours)


def records(wf: Workflow, row: Submission, lang: str) -> list[Correction]:
    """Recouvrement's corrective or complementary declarations, oldest first."""
    found = []
    for record in SubmissionState.from_json(row.state).records:
        transition = wf.lifecycle.transition(str(record.get("transition")))
        form = wf.forms.get(transition.form) if transition and transition.form else None
        raw = record.get("data")
        data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        kinds = form.fields.get("kind", {}).get("options", {}) if form else {}
        kind = kinds.get(str(data.get("kind")))
        label = str(kind[lang]) if isinstance(kind, Mapping) else \
            (transition.title.text(lang) if transition else "")
        lines_spec = _line_fields(form.fields) if form else None
        lines = data.get(lines_spec[0]) if lines_spec else []
        found.append(Correction(label, str(record.get("on") or ""), str(data.get("reason", "")),
                                _declaration_lines([x for x in lines or [] if
                                                    isinstance(x, Mapping)],
                                                   lines_spec[1] if lines_spec else {}, lang)))
    return found


def declaration(wf: Workflow, row: Submission, client_name: str, client_number: str,
                declared_by: str, lang: str) -> Declaration:
    state = SubmissionState.from_json(row.state)
    lines, items = _lines_of(wf, state.submitted or {})
    period = value_of(row.unique_key) or ""
    labels = period_label(period) if period else ("", "")
    submitted = row.submitted_at.isoformat() if row.submitted_at else ""
    return Declaration(number=row.receipt_number or "", submitted_at=submitted,
                       client_name=client_name, client_number=client_number,
                       period_label=labels[0] if lang == "fr" else labels[1],
                       declared_by=declared_by, lines=_declaration_lines(lines, items, lang),
                       corrections=tuple(records(wf, row, lang)))
