"""The one place that talks to ``transitions``.

Each workflow version gets two shared machines, built once at load: the member's walk through the
steps (event ``next``, with ordered conditional targets) and the submission's status (member events
``submit``/``cancel``/``amend`` plus the staff lifecycle transitions). Machines are never built per
request and models are never registered on them: an event is fired on a throw-away token holding
the current state, so nothing accumulates in the shared machine. Callbacks have no side effects;
``MachineError`` never leaves this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from transitions import EventData, Machine, MachineError

from engine.errors import EngineError, Message

if TYPE_CHECKING:
    from engine.definitions import Lifecycle, Step
    from engine.expressions import Expression

DRAFT, CANCELLED = "draft", "cancelled"


class TransitionRefused(EngineError):
    """The state machine has no such move from the current state."""


class _Token:
    """What the machine moves: just a state. Lives for one call."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass(frozen=True)
class Machines:
    steps: Machine
    status: Machine

    def next_step(self, current: str, values: Mapping[str, Any]) -> str:
        """The step after ``current`` given the answers and host data in ``values``.

        A query, not a move: it reads the machine's ``next`` transitions from ``current`` in
        their order and returns the destination of the first whose guards hold, which is what
        firing the event would do, without the callback machinery on this hot path (a path is
        recomputed on every answer). ``test_machine`` pins the two to the same answers.
        """
        for transition in self.steps.events["next"].transitions.get(current, ()):
            if all(_holds(condition.func, values) == condition.target
                   for condition in transition.conditions):
                return str(transition.dest)
        return _fire(self.steps, "next", current, values=values)  # raises TransitionRefused

    def fire_next(self, current: str, values: Mapping[str, Any]) -> str:
        """The same answer as :meth:`next_step`, by firing the event on the machine."""
        return _fire(self.steps, "next", current, values=values)

    def move_status(self, status: str, event: str,
                    values: Mapping[str, Any] | None = None) -> str:
        """The status after ``event``. ``values`` (answers and host data) choose among the
        conditional targets of ``submit``; without them, the unconditional one is taken."""
        return _fire(self.status, event, status, values=values or {})

    def status_events(self, status: str) -> list[str]:
        return [name for name, ev in self.status.events.items() if status in ev.transitions]


def _fire(machine: Machine, event: str, state: str, **kwargs: Any) -> str:
    token = _Token(state)
    found = machine.events.get(event)
    try:
        if found is None or not found.trigger(token, **kwargs):
            raise MachineError(f"{event} refused from {state}")
    except MachineError as error:
        raise TransitionRefused("transition_refused", Message(
            f"L'action « {event} » n'est pas possible dans l'état « {state} ».",
            f"Action “{event}” is not possible in state “{state}”.")) from error
    return token.state


def _guard(expression: Expression) -> Callable[[EventData], bool]:
    def guard(event: EventData) -> bool:
        return expression.test(event.kwargs["values"])

    guard.__name__ = expression.text  # diagrams show the analyst's condition
    guard.expression = expression  # type: ignore[attr-defined]
    return guard


def _holds(func: Any, values: Mapping[str, Any]) -> bool:
    return bool(func.expression.test(values))


def build_machines(steps: Mapping[str, Step], lifecycle: Lifecycle) -> Machines:
    step_machine = Machine(model=None, states=list(steps), initial=None, auto_transitions=False,
                           send_event=True)
    for step in steps.values():
        for target in step.next:
            conditions: list[str | Callable[..., bool | None]] = (
                [_guard(target.when)] if target.when is not None else [])
            step_machine.add_transition("next", step.name, target.to, conditions=conditions)
    states = [DRAFT, CANCELLED, *lifecycle.states]
    status_machine = Machine(model=None, states=states, initial=None, auto_transitions=False,
                             send_event=True)
    for target in lifecycle.entries:
        guards: list[str | Callable[..., bool | None]] = (
            [_guard(target.when)] if target.when is not None else [])
        status_machine.add_transition("submit", DRAFT, target.to, conditions=guards)
    status_machine.add_transition("cancel", DRAFT, CANCELLED)
    for state in lifecycle.member_can_amend_in:
        status_machine.add_transition("amend", state, state)
    for tr in lifecycle.transitions:
        status_machine.add_transition(tr.name, list(tr.sources), tr.dest)
    return Machines(steps=step_machine, status=status_machine)
