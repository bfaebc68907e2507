"""Host checks (``checks:`` in a step): parsed with their messages, carried by ``answer`` and
``submit`` as ``host_check`` effects, and turned into the step's refusal by
``host_check_failed``. The checks themselves are the web layer's (web/host_checks.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine import Context, StepInvalid, host_check_failed, load_definitions
from engine import runtime as engine

ROOT = Path(__file__).resolve().parents[3]
DATA = {"registration": "100001", "birth_date": "1970-03-14", "population": "employee"}


@pytest.fixture(scope="module")
def wf():  # type: ignore[no-untyped-def]
    loaded = load_definitions(str(ROOT))
    assert loaded.report.ok
    return loaded.current()["subscription"]


def test_a_step_declares_its_checks_with_a_message_per_code(wf) -> None:  # type: ignore[no-untyped-def]
    [check] = wf.steps["identity"].checks
    assert check.name == "registry_identity"
    assert set(check.messages) == {"not_eligible", "already_subscribed", "too_many_attempts"}
    assert check.messages["already_subscribed"].fr.startswith("Vous êtes déjà abonné")
    assert wf.steps["summary"].checks == ()


def test_answer_and_submit_carry_the_checks_first(wf) -> None:  # type: ignore[no-untyped-def]
    context = Context({}, date(2026, 11, 23))
    started = engine.start(wf, context).state
    answered = engine.answer(wf, started, "identity", DATA, context)
    kinds = [e.kind for e in answered.effects]
    assert kinds == ["answered", "host_check"]
    assert answered.effects[1].data == {"step": "identity", "checks": ["registry_identity"],
                                        "data": DATA}
    submitted = engine.submit(wf, answered.state, context)
    assert [e.kind for e in submitted.effects] == ["host_check", "receipt"]


def test_a_failed_check_refuses_the_step_with_its_message(wf) -> None:  # type: ignore[no-untyped-def]
    refusal = host_check_failed(wf, "identity", "registry_identity", "not_eligible")
    assert isinstance(refusal, StepInvalid)
    [error] = refusal.errors
    assert (error.path, error.code) == ("", "not_eligible")
    assert error.message.fr.startswith("Nous ne pouvons pas donner suite")
    at_submit = host_check_failed(wf, "identity", "registry_identity", "not_eligible",
                                  submitting=True)
    assert at_submit.errors[0].path == "/identity"
