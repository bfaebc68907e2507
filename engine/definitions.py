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
class ChoiceSource:
    """Where a ``choices: dynamic`` field of a step's form gets its choices: a registered choice
    list (``rules.get_choice_list``) and its parameters, evaluated on the current answers."""

    name: str
    params: Mapping[str, Expression] = field(default_factory=dict)


@dataclass(frozen=True)
class Shown:
    """One piece of host data shown above a step's form: its label and the value to show."""

    label: Text
    value: Expression


@dataclass(frozen=True)
class HostCheck:
    """A check the web layer runs on a step's answers before keeping them (``checks:`` in the
    step): its registered name and the message of each code it may return."""

    name: str
    messages: Mapping[str, Text] = field(default_factory=dict)


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
    choices: Mapping[str, ChoiceSource] = field(default_factory=dict)
    """The source of each dynamic-choice field of the step's form, by field name."""
    shows: tuple[Shown, ...] = ()
    checks: tuple[HostCheck, ...] = ()
    """The host checks of the step's answers (an ``answer`` and a ``submit`` carry them in a
    ``host_check`` effect; the web layer runs them before storing)."""
    rule_params: Mapping[str, Mapping[str, Expression]] = field(default_factory=dict)
    """The parameters of the step's rules written ``{name: rule, with: {...}}``, by rule name,
    evaluated on the answers and contexts when the rule runs (``RuleInput.params``)."""
    prefill: Mapping[str, ChoiceSource] = field(default_factory=dict)
    """Fields of the step's form filled in beforehand from host data, by field name: a source
    the web layer registers, and its parameters (evaluated on the answers so far)."""


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
    reason: bool = False
    """Staff must give a reason (a comment) to fire it (asking for documents, rejecting)."""
    produces: str | None = None
    """The name of what the web layer produces when it fires (a registered producer)."""
    produce_params: Mapping[str, Expression] = field(default_factory=dict)
    """The producer's parameters, evaluated on the submitted answers."""
    form: str | None = None
    """A form staff fill in to fire it (a corrective declaration, say): its answers are kept
    with the submission (``SubmissionState.records``)."""


@dataclass(frozen=True)
class MessageTemplate:
    """What a member is sent when a submission enters a state: a subject and a body per
    language, with placeholders (:data:`engine.templates.PLACEHOLDERS`)."""

    subject: Text
    body: Text


@dataclass(frozen=True)
class Lifecycle:
    initial: str
    """The state a submission enters when no condition of ``initial_targets`` holds (the last
    target); the only one when ``initial`` is a plain state name."""
    states: Mapping[str, Text]
    """Each state's title, in lifecycle order."""
    transitions: tuple[StaffTransition, ...]
    member_can_amend_in: frozenset[str] = frozenset()
    notices: Mapping[str, Text] = field(default_factory=dict)
    """What the member's page says while the submission is in that state."""
    notify: Mapping[str, MessageTemplate] = field(default_factory=dict)
    """The states whose entry is announced to the member, with the message to send."""
    initial_targets: tuple[Target, ...] = ()
    """Where a submission goes when it is submitted: the first target whose condition holds on the
    submitted answers and the host data. Empty means ``(Target(initial),)``."""
    offers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The workflow's documents the member can download while the submission is in a state."""

    @property
    def entries(self) -> tuple[Target, ...]:
        """The initial targets, in order; the last one has no condition."""
        return self.initial_targets or (Target(self.initial),)

    @property
    def initial_states(self) -> frozenset[str]:
        """Every state a submission can enter when it is submitted."""
        return frozenset(t.to for t in self.entries)

    def transition(self, name: str) -> StaffTransition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def transitions_from(self, state: str) -> tuple[StaffTransition, ...]:
        """The staff actions possible in ``state``, in the definition's order."""
        return tuple(t for t in self.transitions if state in t.sources)

    @property
    def decisions(self) -> frozenset[str]:
        """The states staff cannot leave: a submission there is decided."""
        leaving = {src for t in self.transitions for src in t.sources}
        return frozenset(s for s in self.states if s not in leaving)


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
    catalogues: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    """The entries of each catalogue the workflow declares, as plain data."""
    subject: str | None = None
    """What each submission is about, chosen before it starts (``client``: one of the employer
    account's clients); None: about its owner."""
    unique_per: Expression | None = None
    """Evaluated at submission on the answers and contexts: two submitted ones with the same
    value for the same subject (or owner) are refused (the database holds the key)."""

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
