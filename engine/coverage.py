"""Branch coverage of the scenario files: which outcomes of each condition the scenarios saw.

A *branch* is one outcome a workflow's definition can lead to (docs/scenarios.md, "Branch
coverage"):

* each target of a step whose ``next`` has a condition (the target taken at least once);
* each ``skip_unless``: the step shown (the condition holds) and skipped (it does not);
* each ``availability`` requirement: met, and failed (the procedure refused with its code);
* each target of a conditional lifecycle ``initial`` (entered on submission at least once);
* each staff transition (fired at least once).

:class:`Coverage` records them while :mod:`engine.scenarios` plays the moves. It never changes
what the runtime does: after each move it evaluates the same compiled conditions on the same
values, in the same order, as :mod:`engine.runtime` (``unavailable``, ``path``, the status
machine's ``submit``); :func:`walk` returns the steps it found, which the tests pin to
:func:`engine.runtime.path`. :func:`uncovered` then names each branch no scenario saw with the
file and line of its condition in the workflow file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.definitions import Target, Workflow
from engine.errors import Message, YamlError
from engine.runtime import Context, skipped, values_of
from engine.state import Answers
from engine.yamlio import Loaded, load_yaml_file

BranchKey = tuple[Any, ...]
"""("next", step, index) | ("skip", step, shown) | ("available", index, met) | ("initial", index)
| ("staff", name)."""


@dataclass(frozen=True)
class Branch:
    """One outcome of a condition: where it is written (a JSON Pointer) and how to say it."""

    key: BranchKey
    pointer: str
    what: Message


@dataclass(frozen=True)
class Uncovered:
    """A branch no scenario saw, where a person looks for it."""

    file: str
    line: int
    branch: Branch

    def text(self, lang: str = "fr") -> str:
        label = "uncovered:" if lang == "en" else "non couvert :"
        return f"{self.file}:{self.line}: {label} {self.branch.what.text(lang)}"


@dataclass
class Coverage:
    """The branches seen so far, by workflow key ``(id, version)``."""

    seen: dict[tuple[str, int], set[BranchKey]] = field(default_factory=dict)

    def _mark(self, wf: Workflow, key: BranchKey) -> None:
        self.seen.setdefault(wf.key, set()).add(key)

    def started(self, wf: Workflow, context: Context) -> None:
        """The availability requirements, in order, up to the first that fails (as
        ``runtime.unavailable``)."""
        self.seen.setdefault(wf.key, set())
        values = values_of({}, context)
        for index, requirement in enumerate(wf.availability):
            met = bool(requirement.when.test(values))
            self._mark(wf, ("available", index, met))
            if not met:
                return

    def moved(self, wf: Workflow, data: Answers, context: Context) -> None:
        """The way through the steps with these answers (as ``runtime.path``)."""
        walk(wf, data, context, self.seen.setdefault(wf.key, set()))

    def submitted(self, wf: Workflow, snapshot: Answers, context: Context) -> None:
        """The initial target a submission entered (the first whose condition holds)."""
        values = values_of(snapshot, context)
        index = _first(wf.lifecycle.entries, values)
        if index is not None:
            self._mark(wf, ("initial", index))

    def fired(self, wf: Workflow, transition: str) -> None:
        self._mark(wf, ("staff", transition))


def _first(targets: Iterable[Target], values: Mapping[str, Any]) -> int | None:
    return next((i for i, t in enumerate(targets) if t.when is None or t.when.test(values)),
                None)


def walk(wf: Workflow, data: Answers, context: Context,
         seen: set[BranchKey] | None = None) -> list[str]:
    """:func:`engine.runtime.path`, adding to ``seen`` each ``skip_unless`` outcome and each
    ``next`` target it goes through."""
    seen = set() if seen is None else seen
    values = values_of(data, context)
    found: list[str] = []
    name = wf.start
    for _ in range(len(wf.steps) + 1):
        step = wf.steps[name]
        if step.skip_unless is not None:
            seen.add(("skip", name, not skipped(step, values)))
        if not skipped(step, values):
            found.append(name)
            if step.review or name not in data:
                return found
        index = _first(step.next, values)
        if index is None:  # the runtime would refuse the move: nothing more to see
            return found
        seen.add(("next", name, index))
        name = step.next[index].to
    raise RuntimeError("a checked workflow cannot loop")


def _conditional(targets: tuple[Target, ...]) -> bool:
    return any(t.when is not None for t in targets)


def _way(target: Target) -> tuple[str, str]:
    if target.when is None:
        return " (sinon)", " (otherwise)"
    return f" si {target.when.text}", f" when {target.when.text}"


def branches(wf: Workflow) -> list[Branch]:
    """Every branch of a workflow, in the order of its file."""
    found: list[Branch] = []
    for index, req in enumerate(wf.availability):
        pointer, cond, code = f"/availability/{index}/when", req.when.text, req.code
        found.append(Branch(("available", index, True), pointer, Message(
            f"disponibilité « {code} » : {cond} n'est jamais vraie (la démarche n'est jamais "
            "ouverte)", f"availability “{code}”: {cond} never holds (the procedure is never "
            "open)")))
        found.append(Branch(("available", index, False), pointer, Message(
            f"disponibilité « {code} » : {cond} n'est jamais fausse (jamais de refus "
            f"« {code} »)", f"availability “{code}”: {cond} never fails (never refused with "
            f"“{code}”)")))
    for name, step in wf.steps.items():
        if step.skip_unless is not None:
            pointer, cond = f"/steps/{name}/skip_unless", step.skip_unless.text
            found.append(Branch(("skip", name, True), pointer, Message(
                f"l'étape « {name} » n'est jamais montrée ({cond} n'est jamais vraie)",
                f"step “{name}” is never shown ({cond} never holds)")))
            found.append(Branch(("skip", name, False), pointer, Message(
                f"l'étape « {name} » n'est jamais sautée ({cond} n'est jamais fausse)",
                f"step “{name}” is never skipped ({cond} never fails)")))
        if _conditional(step.next):
            for index, target in enumerate(step.next):
                fr, en = _way(target)
                found.append(Branch(("next", name, index), f"/steps/{name}/next/{index}", Message(
                    f"étape « {name} » : la suite vers « {target.to} »{fr} n'est jamais prise",
                    f"step “{name}”: the way on to “{target.to}”{en} is never taken")))
    if _conditional(wf.lifecycle.entries):
        for index, target in enumerate(wf.lifecycle.entries):
            fr, en = _way(target)
            found.append(Branch(("initial", index), f"/lifecycle/initial/{index}", Message(
                f"l'état « {target.to} »{fr} n'est jamais atteint à l'envoi",
                f"state “{target.to}”{en} is never entered on submission")))
    for index, tr in enumerate(wf.lifecycle.transitions):
        found.append(Branch(("staff", tr.name), f"/lifecycle/transitions/{index}", Message(
            f"l'action « {tr.name} » n'est jamais déclenchée",
            f"staff action “{tr.name}” is never fired")))
    return found


@dataclass(frozen=True)
class CoverageReport:
    uncovered: tuple[Uncovered, ...]
    covered: int
    total: int

    def summary(self, lang: str = "fr") -> str:
        if lang == "en":
            return f"branches: {self.covered}/{self.total} covered"
        return f"branches : {self.covered}/{self.total} couvertes"


def workflow_files(root: str | Path) -> dict[tuple[str, int], Loaded]:
    """The workflow files of a definitions tree, by ``(id, version)`` (for their lines)."""
    found: dict[tuple[str, int], Loaded] = {}
    for folder in ("workflows", "workflows/archive"):
        for file in sorted((Path(root) / folder).glob("*.yaml")):
            try:
                loaded = load_yaml_file(file)
            except (YamlError, OSError):  # already reported by the definitions check
                continue
            data = loaded.data
            if isinstance(data, dict) and isinstance(data.get("version"), int):
                found.setdefault((str(data.get("workflow")), data["version"]), loaded)
    return found


def report(root: str | Path, workflows: Iterable[Workflow], coverage: Coverage) -> CoverageReport:
    """The branches of ``workflows`` that ``coverage`` never saw, with file and line."""
    files = workflow_files(root)
    uncovered: list[Uncovered] = []
    covered = total = 0
    for wf in workflows:
        seen = coverage.seen.get(wf.key, set())
        loaded = files.get(wf.key)
        for branch in branches(wf):
            total += 1
            if branch.key in seen:
                covered += 1
                continue
            mark = loaded.position(branch.pointer) if loaded is not None else None
            uncovered.append(Uncovered(loaded.source if loaded is not None else wf.id,
                                       mark[0] if mark else 1, branch))
    return CoverageReport(tuple(uncovered), covered, total)


def measured(definitions_current: Mapping[str, Workflow],
             all_workflows: Mapping[tuple[str, int], Workflow],
             coverage: Coverage) -> list[Workflow]:
    """The workflows whose coverage counts: the current version of each, and any archived
    version a scenario played."""
    current = {wf.key for wf in definitions_current.values()}
    return [wf for key, wf in sorted(all_workflows.items())
            if key in current or key in coverage.seen]
