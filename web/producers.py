"""Producers: what the web layer makes when a staff transition ``produces`` something.

A workflow's staff transition may say ``produces: {name, with}``; when it fires, the engine adds
a ``produce`` effect (the name and the parameters evaluated on the submitted answers) after the
``changed`` one, and :meth:`web.submissions.Submissions.act` calls the producer registered here
under that name, in the same transaction as the state change: a producer that fails leaves
nothing behind (the caller rolls back).

A producer is a function ``(session, ProduceInput) -> None`` registered with
``@producer("<name>")``, like the host-context providers of :mod:`web.contexts`. The app refuses
to start when a workflow names a producer that is not registered
(:meth:`web.catalog.Catalog.check_producers`). A producer that cannot produce raises
:class:`ProduceRefused` (a 422 problem, or the file's page with the message, for staff).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import Message, Workflow
from web.db.models import Account, Submission
from web.errors import ApiProblem

__all__ = ["PRODUCERS", "ProduceInput", "ProduceRefused", "Producer", "produce", "producer",
           "registered"]

PRODUCER_MODULES = ("web.certificates", "web.subscriptions")
"""The modules whose import registers producers (see :func:`registered`)."""


@dataclass(frozen=True)
class ProduceInput:
    """What a producer is given: the definition the submission runs on, the submission (its new
    state already stored), its owner, the transition's parameters, the staff member who fired it
    and the time."""

    workflow: Workflow
    submission: Submission
    owner: Account | None
    """None for a visitor's submission (a ``public`` procedure)."""
    params: Mapping[str, Any]
    actor_id: str
    now: datetime


Producer = Callable[[Session, ProduceInput], None]
PRODUCERS: dict[str, Producer] = {}


class ProduceRefused(ApiProblem):
    """The producer cannot make what the transition asks for (the beneficiary no longer exists,
    say): the transition is refused and nothing is saved."""

    def __init__(self, message: Message, status: int = 422) -> None:
        super().__init__(status, "cannot_produce", message)


def producer(name: str) -> Callable[[Producer], Producer]:
    def register(fn: Producer) -> Producer:
        if name in PRODUCERS:
            raise ValueError(f"producer {name!r} registered twice")
        PRODUCERS[name] = fn
        return fn

    return register


def registered() -> Mapping[str, Producer]:
    """Every producer, once the modules that define them are imported."""
    for module in PRODUCER_MODULES:
        importlib.import_module(module)
    return PRODUCERS


def produce(session: Session, name: str, given: ProduceInput) -> None:
    """Run the producer ``name`` (checked at start; a stored old version could still name an
    unknown one: refused, nothing saved)."""
    found = registered().get(name)
    if found is None:
        raise ProduceRefused(Message(
            f"Le document « {name} » ne peut pas être produit par ce service.",
            f"Document “{name}” cannot be produced by this service."))
    found(session, given)
