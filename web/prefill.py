"""Prefill sources: the host data a step's form starts from (``prefill:`` in a workflow step).

A step may say ``prefill: {field: {from: <source>, with: {param: expression}}}``. When the step
is shown and has no answer yet, the web layer evaluates the parameters on the answers so far
(:func:`engine.prefill_params`), calls the source registered here under that name, and offers
its value as the field's starting answer: nothing is stored until the person validates the step.
A source is ``(session, PrefillInput) -> value`` registered with ``@prefill_source("name")``;
the app refuses to start when a workflow names an unknown one
(:meth:`web.catalog.Catalog.check_prefill_sources`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from engine import Workflow
from rules.periods import parse_period
from web import employers

__all__ = ["SOURCES", "PrefillInput", "prefill_source", "values_for"]


@dataclass(frozen=True)
class PrefillInput:
    """What a source is given: the submission's subject (the client; None without ``subject``),
    the owner's account id, the evaluated parameters and today."""

    subject_id: str | None
    owner_id: str | None
    params: Mapping[str, Any]
    today: date


Source = Callable[[Session, PrefillInput], Any]
SOURCES: dict[str, Source] = {}


def prefill_source(name: str) -> Callable[[Source], Source]:
    def register(fn: Source) -> Source:
        if name in SOURCES:
            raise ValueError(f"prefill source {name!r} registered twice")
        SOURCES[name] = fn
        return fn

    return register


def values_for(session: Session, wf: Workflow, step: str,
               params: Mapping[str, Mapping[str, Any]], given: PrefillInput) -> dict[str, Any]:
    """The starting answers of ``step``: each pre-filled field's source called with its
    parameters; a source that gives None leaves its field out."""
    found: dict[str, Any] = {}
    for field, source in wf.steps[step].prefill.items():
        value = SOURCES[source.name](session, PrefillInput(
            given.subject_id, given.owner_id, params.get(field, {}), given.today))
        if value is not None:
            found[field] = value
    return found


@prefill_source("workforce")
def workforce(session: Session, given: PrefillInput) -> list[dict[str, Any]] | None:
    """The client's known workforce for the period ``with: {period}``: one line per employee
    (its id, registration number, names, birth date), amounts left to fill in. None without a
    client or a valid period."""
    period = given.params.get("period")
    if given.subject_id is None or parse_period(period) is None:
        return None
    return [{"employee_id": e.id, "registration": e.registration, "last_name": e.last_name,
             "first_name": e.first_name, "birth_date": e.birth_date.isoformat(), "events": []}
            for e in employers.full_workforce(session, given.subject_id, str(period))]
