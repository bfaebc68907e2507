"""engine.machine, the one module that talks to ``transitions``: ordered conditional ``next``
targets, status moves, ``MachineError`` translated, and no model left on the shared machines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from transitions import MachineError

from engine.definitions import Lifecycle, StaffTransition, Step, Target, Text, Workflow
from engine.errors import EngineError
from engine.expressions import compile_condition
from engine.loading import load_definitions
from engine.machine import CANCELLED, DRAFT, TransitionRefused, build_machines

SPECIAL = 'answers.situation.code != "none"'
ENV = {"household": {"type": "object", "properties": {
    "has_spouse": {"type": "boolean"}, "children": {"type": "integer"}}}}
LIFECYCLE = Lifecycle(initial="submitted", states={"submitted": Text("Transmise", "Submitted"),
                                                   "done": Text("Traitée", "Done")},
                      transitions=(StaffTransition("close", ("submitted",), "done", "agent",
                                                   Text("Clore", "Close")),),
                      member_can_amend_in=frozenset({"submitted"}))


@pytest.fixture(scope="module")
def wf() -> Workflow:
    result = load_definitions(str(Path(__file__).resolve().parents[3]))
    assert result.report.problems == []
    return result.current()["resource_declaration"]


def values(code: Any = None, **context: Any) -> dict[str, Any]:
    answers = {} if code is None else {"situation": {"code": code}}
    return {"answers": answers, **context}


def step(name: str, *targets: Target) -> Step:
    return Step(name=name, title=Text(name, name), next=targets)


def synthetic() -> dict[str, Step]:
    """a -> b when there is a spouse, c when there are children, else d; b, c, d -> end."""
    spouse = compile_condition("household.has_spouse", ENV)
    children = compile_condition("household.children > 0", ENV)
    return {"a": step("a", Target("b", spouse), Target("c", children), Target("d")),
            "b": step("b", Target("end")), "c": step("c", Target("end")),
            "d": step("d", Target("end")), "end": Step("end", Text("Fin", "End"), review=True)}


@pytest.mark.parametrize(("spouse", "children", "expected"), [
    pytest.param(True, 2, "b", id="both hold: the first target wins"),
    pytest.param(True, 0, "b", id="spouse only"),
    pytest.param(False, 2, "c", id="children only"),
    pytest.param(False, 0, "d", id="neither: the unconditional target"),
    pytest.param(None, None, "d", id="unknown household: null is not true"),
])
def test_next_honours_the_order_and_the_conditions(spouse: Any, children: Any,
                                                   expected: str) -> None:
    machines = build_machines(synthetic(), LIFECYCLE)
    given = {"household": {"has_spouse": spouse, "children": children}}
    assert machines.next_step("a", given) == expected
    assert machines.fire_next("a", given) == expected
    assert [str(t.dest) for t in machines.steps.events["next"].transitions["a"]] == ["b", "c", "d"]


def test_the_workflows_next_targets_are_in_the_yaml_order(wf: Workflow) -> None:
    transitions = wf.machines.steps.events["next"].transitions
    assert [str(t.dest) for t in transitions["situation"]] == ["summary", "income_declarant"]
    assert {name: [str(t.dest) for t in found] for name, found in transitions.items()
            if name != "situation"} == {
        "terms": ["situation"], "income_declarant": ["income_spouse"],
        "income_spouse": ["observations"], "observations": ["children"],
        "children": ["summary"]}
    assert "summary" not in transitions


@pytest.mark.parametrize(("code", "expected"), [
    ("none", "income_declarant"),
    ("no_longer_resident", "summary"),
    ("other_scheme", "summary"),
    ("income_paid_by_fund", "summary"),
    (None, "summary"),  # unanswered: null != "none" is true (the path never asks: it stops first)
])
def test_the_situation_decides_the_next_step(wf: Workflow, code: Any, expected: str) -> None:
    assert wf.machines.next_step("situation", values(code)) == expected
    assert wf.machines.fire_next("situation", values(code)) == expected


@pytest.mark.parametrize("name", ["terms", "situation", "income_declarant", "income_spouse",
                                  "observations", "children"])
@pytest.mark.parametrize("code", ["none", "other_scheme"])
def test_the_query_and_the_fired_event_agree_everywhere(wf: Workflow, name: str,
                                                        code: str) -> None:
    given = values(code, household={"has_spouse": True}, campaign={"children_section": False})
    assert wf.machines.next_step(name, given) == wf.machines.fire_next(name, given)


def test_the_guards_name_is_the_condition_text(wf: Workflow) -> None:
    [guarded, plain] = wf.machines.steps.events["next"].transitions["situation"]
    [condition] = guarded.conditions
    assert condition.func.__name__ == SPECIAL
    assert condition.func.expression.text == SPECIAL
    assert condition.target is True
    assert plain.conditions == []


def test_no_next_from_the_review_is_a_refusal(wf: Workflow) -> None:
    for fire in (wf.machines.next_step, wf.machines.fire_next):
        with pytest.raises(TransitionRefused) as caught:
            fire("summary", values("none"))
        assert caught.value.code == "transition_refused"
        assert caught.value.message.fr == ("L'action « next » n'est pas possible dans l'état "
                                           "« summary ».")


def test_no_target_holding_is_a_refusal() -> None:
    spouse = compile_condition("household.has_spouse", ENV)
    machines = build_machines({"a": step("a", Target("b", spouse)),
                               "b": Step("b", Text("b", "b"), review=True)}, LIFECYCLE)
    with pytest.raises(TransitionRefused) as caught:
        machines.next_step("a", {"household": {"has_spouse": False}})
    assert caught.value.code == "transition_refused"


@pytest.mark.parametrize(("status", "event", "expected"), [
    (DRAFT, "submit", "submitted"),
    (DRAFT, "cancel", CANCELLED),
    ("submitted", "amend", "submitted"),
    ("submitted", "start_review", "in_review"),
    ("in_review", "request_documents", "awaiting_documents"),
    ("in_review", "accept", "processed"),
    ("awaiting_documents", "accept", "processed"),
    ("in_review", "reject", "rejected"),
    ("awaiting_documents", "reject", "rejected"),
])
def test_status_moves(wf: Workflow, status: str, event: str, expected: str) -> None:
    assert wf.machines.move_status(status, event) == expected


@pytest.mark.parametrize(("status", "event"), [
    (DRAFT, "accept"),
    (DRAFT, "amend"),
    ("submitted", "submit"),
    ("submitted", "cancel"),
    ("in_review", "amend"),
    ("processed", "reject"),
    (CANCELLED, "submit"),
    (CANCELLED, "start_review"),
    (DRAFT, "to_submitted"),  # auto transitions are off
    (DRAFT, "no_such_event"),
])
def test_an_impossible_status_move_is_refused(wf: Workflow, status: str, event: str) -> None:
    with pytest.raises(TransitionRefused) as caught:
        wf.machines.move_status(status, event)
    error = caught.value
    assert isinstance(error, EngineError) and not isinstance(error, MachineError)
    assert isinstance(error.__cause__, MachineError)
    assert error.code == "transition_refused"
    assert error.message.fr == f"L'action « {event} » n'est pas possible dans l'état « {status} »."
    assert error.message.en == f"Action “{event}” is not possible in state “{status}”."


def test_member_and_staff_events_by_status(wf: Workflow) -> None:
    assert sorted(wf.machines.status_events(DRAFT)) == ["cancel", "submit"]
    assert sorted(wf.machines.status_events("submitted")) == ["amend", "start_review"]
    assert sorted(wf.machines.status_events("in_review")) == ["accept", "reject",
                                                             "request_documents"]
    assert wf.machines.status_events("processed") == []
    assert not any(name.startswith("to_") for name in wf.machines.status.events)


def test_firing_many_events_leaves_no_model_on_the_shared_machines(wf: Workflow) -> None:
    machines = wf.machines
    assert machines.steps.models == [] and machines.status.models == []
    for i in range(500):
        code = "none" if i % 2 else "other_scheme"
        machines.fire_next("situation", values(code))
        machines.next_step("terms", values(code))
        machines.move_status(DRAFT, "submit")
        machines.move_status("submitted", "start_review")
        with pytest.raises(TransitionRefused):
            machines.move_status("processed", "accept")
        with pytest.raises(TransitionRefused):
            machines.fire_next("summary", values(code))
    assert machines.steps.models == [] and machines.status.models == []


def test_a_rebuilt_machine_is_the_same_machine(wf: Workflow) -> None:
    rebuilt = build_machines(wf.steps, wf.lifecycle)
    for name in ("terms", "situation", "income_declarant", "children"):
        for code in ("none", "other_scheme"):
            assert rebuilt.next_step(name, values(code)) == wf.machines.next_step(name,
                                                                                  values(code))
    assert set(rebuilt.status.events) == set(wf.machines.status.events)
    assert rebuilt.steps.models == [] and rebuilt.status.models == []
