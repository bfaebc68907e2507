"""Compiled definitions: frozen, built once per (workflow, version), shared by every request.

A definition ("spec") never holds a running submission's data: that is ``engine.state``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.errors import Message

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from engine.expressions import Expression
    from engine.machine import Machines

Text = Message
"""Analyst-written text in both languages (same shape as an error message)."""


def text_of(raw: Mapping[str, str] | None) -> Text | None:
    return None if raw is None else Text(fr=raw["fr"], en=raw["en"])


@dataclass(frozen=True)
class Target:
    to: str
    when: Expression | None = None


@dataclass(frozen=True)
class Step:
    name: str
    title: Text
    form: str | None = None
    review: bool = False
    next: tuple[Target, ...] = ()
    skip_unless: Expression | None = None
    rules: tuple[str, ...] = ()
    requires_opened: tuple[str, ...] = ()


@dataclass(frozen=True)
class Requirement:
    when: Expression
    code: str
    message: Text


@dataclass(frozen=True)
class Document:
    name: str
    title: Text
    body: Text


@dataclass(frozen=True)
class StaffTransition:
    name: str
    sources: tuple[str, ...]
    dest: str
    role: str
    title: Text


@dataclass(frozen=True)
class Lifecycle:
    initial: str
    states: Mapping[str, Text]
    transitions: tuple[StaffTransition, ...]
    member_can_amend_in: frozenset[str] = frozenset()

    def transition(self, name: str) -> StaffTransition | None:
        return next((t for t in self.transitions if t.name == name), None)


@dataclass(frozen=True)
class Form:
    name: str
    title: Text
    help: Text | None
    schema: Mapping[str, Any]
    fields: Mapping[str, Any]
    validator: Validator = field(repr=False, compare=False)


@dataclass(frozen=True)
class Workflow:
    id: str
    version: int
    title: Text
    description: Text | None
    audience: str
    service: str | None
    context: tuple[str, ...]
    receipt_prefix: str
    availability: tuple[Requirement, ...]
    documents: Mapping[str, Document]
    start: str
    steps: Mapping[str, Step]
    forms: Mapping[str, Form]
    messages: Mapping[str, Text]
    lifecycle: Lifecycle
    digest: str
    one_per: Expression | None
    machines: Machines = field(repr=False, compare=False)

    @property
    def key(self) -> tuple[str, int]:
        return (self.id, self.version)

    @property
    def review_step(self) -> str | None:
        return next((s.name for s in self.steps.values() if s.review), None)

    def form_of(self, step: str) -> Form | None:
        name = self.steps[step].form
        return None if name is None else self.forms[name]

    def message(self, name: str, default: Text) -> Text:
        return self.messages.get(name, default)
