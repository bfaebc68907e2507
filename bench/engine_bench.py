"""Engine only: engine.runtime functions in a loop, no HTTP, no database, one thread."""

from __future__ import annotations

import cProfile
import pstats
import re
import time
from dataclasses import dataclass
from typing import Any

from payloads import CONTEXT_VALUES, STEPS, TODAY

from engine import load_definitions
from engine import runtime as rt
from web.settings import ROOT


@dataclass
class EngineResult:
    declarations: int
    answers: int
    answer_seconds: float
    """Time spent inside runtime.answer only."""
    path_seconds: float
    """Whole loop: start, open_document, the answers, submit."""
    per_step_us: dict[str, float]
    """Mean µs per call, by step (and start / open_document / submit)."""

    @property
    def answers_per_second(self) -> float:
        return self.answers / self.answer_seconds

    @property
    def declarations_per_second(self) -> float:
        return self.declarations / self.path_seconds


def setup() -> tuple[Any, rt.Context]:
    wf = load_definitions(ROOT).current()["resource_declaration"]
    return wf, rt.Context(CONTEXT_VALUES, TODAY)


def one_declaration(wf: Any, ctx: rt.Context) -> None:
    state = rt.start(wf, ctx).state
    state = rt.open_document(wf, state, "cgu").state
    for name, data, expected in STEPS:
        state = rt.answer(wf, state, name, data, ctx).state
        assert state.step == expected, (name, state.step)
    assert rt.submit(wf, state, ctx).state.status == "submitted"


def run(declarations: int, warmup: int = 200) -> EngineResult:
    wf, ctx = setup()
    for _ in range(warmup):
        one_declaration(wf, ctx)
    clock = time.perf_counter_ns
    labels = ["start", "open_document", *(s[0] for s in STEPS), "submit"]
    totals = dict.fromkeys(labels, 0)
    began = clock()
    for _ in range(declarations):
        t0 = clock()
        state = rt.start(wf, ctx).state
        t1 = clock()
        totals["start"] += t1 - t0
        state = rt.open_document(wf, state, "cgu").state
        t0 = clock()
        totals["open_document"] += t0 - t1
        for name, data, expected in STEPS:
            state = rt.answer(wf, state, name, data, ctx).state
            t1 = clock()
            totals[name] += t1 - t0
            t0 = t1
            if state.step != expected:
                raise AssertionError(f"engine went to {state.step} after {name}")
        outcome = rt.submit(wf, state, ctx)
        totals["submit"] += clock() - t0
        if outcome.state.status != "submitted":
            raise AssertionError("engine did not submit")
    whole = (clock() - began) / 1e9
    answer_ns = sum(totals[name] for name, _d, _n in STEPS)
    return EngineResult(declarations, declarations * len(STEPS), answer_ns / 1e9, whole,
                        {k: v / declarations / 1e3 for k, v in totals.items()})


def profile(declarations: int = 500, top: int = 15) -> list[tuple[str, float, float, int]]:
    """Hot spots of the loop: (function, share of total time by own time, share cumulated,
    calls), sorted by own time."""
    wf, ctx = setup()
    for _ in range(50):
        one_declaration(wf, ctx)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(declarations):
        one_declaration(wf, ctx)
    profiler.disable()
    return hot_spots(profiler, top)


def hot_spots(profiler: cProfile.Profile, top: int, cumulative: bool = False,
              project_only: bool = False) -> list[tuple[str, float, float, int]]:
    """(function, own share, cumulated share, calls) by own time, or by cumulated time; with
    ``project_only`` only this project's functions (engine/, web/, rules/)."""
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values()) or 1.0
    rows = []
    for (filename, line, func), (_cc, ncalls, tt, ct, _callers) in raw.items():
        if project_only and (not filename.startswith(str(ROOT)) or
                             "site-packages" in filename or "/bench/" in filename):
            continue
        rows.append((f"{short_path(filename)}:{line}({func})", tt / total, ct / total, ncalls))
    rows.sort(key=lambda r: r[2] if cumulative else r[1], reverse=True)
    return rows[:top]


def by_package(profiler: cProfile.Profile) -> list[tuple[str, float]]:
    """Own time grouped by top-level package (engine, web, sqlalchemy, psycopg, ...)."""
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1.0
    groups: dict[str, float] = {}
    for (filename, _line, _func), (_cc, _nc, tt, _ct, _callers) in raw.items():
        groups[package_of(filename)] = groups.get(package_of(filename), 0.0) + tt
    return sorted(((k, v / total) for k, v in groups.items()), key=lambda r: r[1], reverse=True)


def short_path(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    if filename.startswith(str(ROOT) + "/"):
        return filename[len(str(ROOT)) + 1:]
    return re.split(r"lib/python3\.\d+/", filename, maxsplit=1)[-1]


def package_of(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins / C"
    short = short_path(filename)
    if "site-packages/" in filename:
        return short.split("/", 1)[0]
    if filename.startswith(str(ROOT)):
        return short.removesuffix(".py").replace("/", ".")
    return "stdlib"
