"""Host checks: what the service's own records must confirm before a step's answers are kept.

A workflow step may declare ``checks: [{name, messages}]`` (docs/workflow-language.md); the engine
then adds a ``host_check`` effect to an ``answer`` of that step and to a ``submit`` (one per step
of the final path that has checks), and :meth:`web.submissions.Submissions.act` runs the checks
registered here under those names **before** storing anything. A check is a function
``(session, CheckInput) -> list of codes`` registered with ``@host_check("<name>", codes=...)``:
an empty list is fine; any code refuses the step like a wrong answer
(:func:`engine.host_check_failed`: a ``StepInvalid`` with the step's own message for that code),
and nothing is stored.

The app refuses to start when a workflow names a check that is not registered, or does not give
a message for each code the check may answer (:meth:`web.catalog.Catalog.check_host_checks`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy.orm import Session

from engine import Effect, Workflow, host_check_failed

__all__ = ["HOST_CHECKS", "CheckInput", "HostCheckFn", "Registered", "client_ip", "host_check",
           "registered", "run_checks"]

HOST_CHECK_MODULES = ("web.subscriptions",)
"""The modules whose import registers host checks (see :func:`registered`)."""


@dataclass(frozen=True)
class CheckInput:
    """What a check is given: the definition, the step and its answers, the caller's address
    (``""`` outside a request) and the time."""

    workflow: Workflow
    step: str
    data: Mapping[str, Any]
    ip: str
    now: datetime


HostCheckFn = Callable[[Session, CheckInput], list[str]]


@dataclass(frozen=True)
class Registered:
    fn: HostCheckFn
    codes: frozenset[str]


HOST_CHECKS: dict[str, Registered] = {}


def host_check(name: str, codes: Iterable[str]) -> Callable[[HostCheckFn], HostCheckFn]:
    """Register a check under ``name``; ``codes`` are every code it may answer (each workflow
    using it must give a message for each)."""
    def register(fn: HostCheckFn) -> HostCheckFn:
        if name in HOST_CHECKS:
            raise ValueError(f"host check {name!r} registered twice")
        HOST_CHECKS[name] = Registered(fn, frozenset(codes))
        return fn

    return register


def registered() -> Mapping[str, Registered]:
    """Every host check, once the modules that define them are imported."""
    for module in HOST_CHECK_MODULES:
        importlib.import_module(module)
    return HOST_CHECKS


def client_ip() -> str:
    """The address of the request's client (the proxy in front sets ``remote_addr``)."""
    return (request.remote_addr or "") if has_request_context() else ""


def run_checks(session: Session, wf: Workflow, effects: Iterable[Effect], now: datetime,
               submitting: bool) -> None:
    """Run the checks of every ``host_check`` effect; the first code answered refuses the step
    (:class:`engine.StepInvalid`). A check a stored old version names but that is no longer
    registered refuses too (``unavailable``)."""
    checks = registered()
    for effect in effects:
        if effect.kind != "host_check":
            continue
        step = str(effect.data["step"])
        for name in effect.data["checks"]:
            found = checks.get(name)
            codes = ["unavailable"] if found is None else found.fn(session, CheckInput(
                wf, step, effect.data.get("data") or {}, client_ip(), now))
            if codes:
                raise host_check_failed(wf, step, name, codes[0], submitting=submitting)
