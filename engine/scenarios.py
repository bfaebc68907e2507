"""Scenario files: a household, the answers step by step, and what must happen, run without a web.

A scenario is a YAML file under ``workflows/tests/`` (any depth; ``engine.loading`` reads only
``workflows/*.yaml`` and ``workflows/archive/*.yaml``, so these are never taken for workflows).
Its format is documented for analysts in ``docs/scenarios.md``. Contract:

* :func:`run_scenario` never raises for a bad scenario: a YAML error, an unknown key or move, an
  unknown workflow and every unmet expectation is a :class:`Failure` naming the file and line;
* a move that fails an expectation stops the scenario (later moves would run on a wrong state);
  the final ``expect`` checks are all reported at once;
* an exception that is not an :class:`~engine.errors.EngineError` is a bug of the engine or of a
  rule, raised as :class:`ScenarioCrash` with the file and line of the move (exit 2 in the CLI);
* given a :class:`~engine.coverage.Coverage`, the run records in it the branches it goes through
  (``engine.coverage``); the moves themselves are the runtime's, unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engine.coverage import Coverage
from engine.definitions import Workflow
from engine.errors import EngineError, Message, YamlError
from engine.loading import LoadResult
from engine.review import review
from engine.runtime import (
    ActionRefused,
    Context,
    Outcome,
    StepInvalid,
    amend,
    answer,
    back,
    cancel,
    open_document,
    path,
    staff_transition,
    start,
    submit,
)
from engine.state import SubmissionState
from engine.yamlio import Loaded, load_yaml_file

FOLDER = "workflows/tests"
_TOP_KEYS = frozenset({"workflow", "version", "title", "lang", "today", "context", "steps",
                       "expect"})
# Each move, with the keys it accepts beside its own ("expect_refused" is accepted by all).
_MOVES: Mapping[str, frozenset[str]] = MappingProxyType({
    "open": frozenset(), "answer": frozenset({"data", "expect_errors"}), "back": frozenset(),
    "submit": frozenset({"expect_errors"}), "cancel": frozenset(), "amend": frozenset(),
    "staff": frozenset({"roles", "reason", "data", "expect_errors"})})
_NAMED = frozenset({"open", "answer", "staff"})  # moves that need a name: `answer: terms`
_EXPECT_KEYS = ("unavailable", "path", "step", "status", "summary", "events")

# Every failure, by code: (French, English), formatted with the fields given to _failure.
MESSAGES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "unreadable": ("Fichier illisible : {detail}", "Unreadable file: {detail}"),
    "not_mapping": ("Le scénario doit être une liste de clés (workflow, today, context, steps, "
                    "expect).", "The scenario must be a mapping of keys (workflow, today, "
                    "context, steps, expect)."),
    "unknown_key": ("Clé inconnue « {key} » : les clés possibles sont {allowed}.",
                    "Unknown key “{key}”: the possible keys are {allowed}."),
    "missing_key": ("La clé « {key} » est obligatoire.", "The key “{key}” is required."),
    "bad_value": ("« {key} » doit être {what}.", "“{key}” must be {what_en}."),
    "unknown_workflow": ("Démarche inconnue « {workflow} »{version} : les démarches chargées sont "
                         "{known}.", "Unknown workflow “{workflow}”{version}: the loaded "
                         "workflows are {known}."),
    "unknown_move": ("Action inconnue {move} : les actions possibles sont {allowed}.",
                     "Unknown move {move}: the possible moves are {allowed}."),
    "several_moves": ("Une seule action par élément de « steps », trouvé : {moves}.",
                      "One move per item of “steps”, found: {moves}."),
    "not_available": ("la démarche n'est pas ouverte : {refusal} ({reason}).",
                      "the procedure is not open: {refusal} ({reason_en})."),
    "no_error_expected": ("{move} : aucune erreur attendue, obtenu {got}",
                          "{move}: expected no error, got {got}"),
    "errors_expected": ("{move} : erreurs attendues {expected}, l'action a réussi",
                        "{move}: expected errors {expected}, the move succeeded"),
    "other_errors": ("{move} : erreurs attendues {expected}, obtenu {got}",
                     "{move}: expected errors {expected}, got {got}"),
    "refused": ("{move} : refusé ({refusal} : {reason})",
                "{move}: refused ({refusal}: {reason_en})"),
    "refusal_expected": ("{move} : refus {expected} attendu, l'action a réussi",
                         "{move}: expected refusal {expected}, the move succeeded"),
    "other_refusal": ("{move} : refus {expected} attendu, obtenu {refusal} ({reason})",
                      "{move}: expected refusal {expected}, got {refusal} ({reason_en})"),
    "expect": ("expect {key} : attendu {expected}, obtenu {got}",
               "expect {key}: expected {expected}, got {got}"),
})


@dataclass(frozen=True)
class Failure:
    """One unmet expectation or malformed part of a scenario, where a person looks for it."""

    file: str
    line: int
    code: str
    message: Message

    def text(self, lang: str = "fr") -> str:
        return f"{self.file}:{self.line}: {self.message.text(lang)}"


@dataclass(frozen=True)
class ScenarioResult:
    file: str
    failures: tuple[Failure, ...]
    ms: float

    @property
    def ok(self) -> bool:
        return not self.failures


class ScenarioCrash(Exception):
    """The engine or a rule raised something other than an EngineError during a move: a bug."""

    def __init__(self, file: str, line: int, error: Exception) -> None:
        super().__init__(f"{file}:{line}: {error!r}")
        self.file, self.line, self.error = file, line, error


class _Stop(Exception):
    """A failure that ends the scenario (carried up to :func:`run_scenario`)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message.en)
        self.failure = failure


def find_scenarios(root: str | Path) -> list[Path]:
    """Every scenario file under ``root/workflows/tests``, in a stable order."""
    return sorted((Path(root) / FOLDER).rglob("*.yaml"))


def run_scenario(file: str | Path, definitions: LoadResult,
                 coverage: Coverage | None = None) -> ScenarioResult:
    """Run one scenario file against loaded definitions; see the module docstring."""
    began = time.perf_counter()
    run = _Run(str(file), coverage)
    try:
        run.load()
        run.play(definitions)
    except _Stop as stop:
        run.failures.append(stop.failure)
    return ScenarioResult(str(file), tuple(run.failures), (time.perf_counter() - began) * 1000)


def _failure(file: str, line: int, code: str, **fields: object) -> Failure:
    fr, en = MESSAGES[code]
    return Failure(file, line, code, Message(fr.format(**fields), en.format(**fields)))


def _listing(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "—"


class _Run:
    """One scenario being read and played; ``failures`` collects what went wrong."""

    def __init__(self, file: str, coverage: Coverage | None = None) -> None:
        self.file = file
        self.coverage = coverage
        self.failures: list[Failure] = []
        self.loaded = Loaded({}, {}, file)
        self.events: list[str] = []

    def line(self, pointer: str) -> int:
        mark = self.loaded.position(pointer)
        return mark[0] if mark else 1

    def stop(self, pointer: str, code: str, **fields: object) -> _Stop:
        return _Stop(_failure(self.file, self.line(pointer), code, **fields))

    def load(self) -> None:
        try:
            self.loaded = load_yaml_file(self.file)
        except YamlError as error:
            raise _Stop(Failure(self.file, error.line or 1, error.code, error.message)) from None
        except OSError as error:
            raise _Stop(_failure(self.file, 1, "unreadable", detail=str(error))) from None
        if not isinstance(self.loaded.data, dict):
            raise self.stop("", "not_mapping")
        for key in self.loaded.data:
            if key not in _TOP_KEYS:
                raise self.stop(f"/{key}", "unknown_key", key=key, allowed=_listing(
                    sorted(_TOP_KEYS)))

    def value(self, key: str, kind: type | tuple[type, ...], what: tuple[str, str],
              default: Any = None) -> Any:
        raw = self.loaded.data.get(key, default)
        if raw is None and default is None:
            raise self.stop("", "missing_key", key=key)
        if not isinstance(raw, kind) or isinstance(raw, bool) and kind is int:
            raise self.stop(f"/{key}", "bad_value", key=key, what=what[0], what_en=what[1])
        return raw

    def workflow(self, definitions: LoadResult) -> Workflow:
        wid = self.value("workflow", str, ("un nom de démarche", "a workflow name"))
        version = self.loaded.data.get("version")
        if version is None:
            found = definitions.current().get(wid)
        else:
            found = definitions.workflows.get((wid, version))
        if found is None:
            known = sorted(f"{w} v{v}" for w, v in definitions.workflows)
            raise self.stop("/workflow", "unknown_workflow", workflow=wid, known=_listing(known),
                            version="" if version is None else f" v{version}")
        return found

    def context(self) -> Context:
        text = self.value("today", str, ("une date AAAA-MM-JJ", "a date YYYY-MM-DD"))
        try:
            today = date.fromisoformat(text)
        except ValueError:
            raise self.stop("/today", "bad_value", key="today", what="une date AAAA-MM-JJ",
                            what_en="a date YYYY-MM-DD") from None
        values = self.value("context", dict, ("une liste de contextes par nom",
                                              "a mapping of contexts by name"), {})
        return Context(values, today)

    def play(self, definitions: LoadResult) -> None:
        wf = self.workflow(definitions)
        ctx = self.context()
        moves = self.value("steps", list, ("une liste d'actions", "a list of moves"), [])
        expect = self.value("expect", dict, ("une liste d'attentes", "a mapping of expectations"),
                            {})
        for key in expect:
            if key not in _EXPECT_KEYS:
                raise self.stop(f"/expect/{key}", "unknown_key", key=key,
                                allowed=_listing(_EXPECT_KEYS))
        for index, item in enumerate(moves):  # a malformed move is reported before anything runs
            pointer = f"/steps/{index}"
            self.expected_errors(pointer, self.parse_move(pointer, item)[2].get("expect_errors"))
        if self.coverage is not None:
            self.coverage.started(wf, ctx)
        try:
            outcome = start(wf, ctx)
        except ActionRefused as error:
            if error.code == expect.get("unavailable"):
                return
            raise self.stop("/context", "not_available", refusal=error.code,
                            reason=error.message.fr,
                            reason_en=error.message.en) from None
        self.events.append(outcome.event)
        state = outcome.state
        if self.coverage is not None:
            self.coverage.moved(wf, state.data, ctx)
        for index, item in enumerate(moves):
            state = self.move(wf, ctx, state, f"/steps/{index}", item)
        self.check(wf, ctx, state, expect)

    def move(self, wf: Workflow, ctx: Context, state: SubmissionState, pointer: str,
             item: Any) -> SubmissionState:
        kind, name, options = self.parse_move(pointer, item)
        label = f"{kind} {name}" if name else kind
        expected_errors = self.expected_errors(pointer, options.get("expect_errors"))
        expected_refusal = options.get("expect_refused")
        try:
            outcome = self.apply(wf, ctx, state, kind, name, options)
        except StepInvalid as error:
            got = _errors(sorted((e.path, e.code) for e in error.errors))
            if expected_errors is None:
                raise self.stop(pointer, "no_error_expected", move=label, got=got) from None
            if got != _errors(expected_errors):
                raise self.stop(f"{pointer}/expect_errors", "other_errors", move=label, got=got,
                                expected=_errors(expected_errors)) from None
            return state
        except ActionRefused as error:
            if expected_refusal is None:
                raise self.stop(pointer, "refused", move=label, refusal=error.code,
                                reason=error.message.fr,
                            reason_en=error.message.en) from None
            if error.code != expected_refusal:
                raise self.stop(f"{pointer}/expect_refused", "other_refusal", move=label,
                                expected=expected_refusal, refusal=error.code,
                                reason=error.message.fr,
                            reason_en=error.message.en) from None
            return state
        except EngineError as error:  # any other refusal the engine words for a person
            raise self.stop(pointer, "refused", move=label, refusal=error.code,
                            reason=error.message.fr,
                            reason_en=error.message.en) from None
        except Exception as error:  # noqa: BLE001 - a bug, reported with where it happened
            raise ScenarioCrash(self.file, self.line(pointer), error) from error
        if expected_errors is not None:
            raise self.stop(f"{pointer}/expect_errors", "errors_expected", move=label,
                            expected=_errors(expected_errors))
        if expected_refusal is not None:
            raise self.stop(f"{pointer}/expect_refused", "refusal_expected", move=label,
                            expected=expected_refusal)
        self.events.append(outcome.event)
        if self.coverage is not None:
            self.record(self.coverage, wf, ctx, kind, name, outcome)
        return outcome.state

    @staticmethod
    def record(coverage: Coverage, wf: Workflow, ctx: Context, kind: str, name: str,
               outcome: Outcome) -> None:
        """The branches a successful move went through (see engine.coverage)."""
        if kind == "staff":
            coverage.fired(wf, name)
        elif outcome.event == "submitted":
            coverage.submitted(wf, outcome.state.submitted or {}, ctx)
        coverage.moved(wf, outcome.state.data, ctx)

    def parse_move(self, pointer: str, item: Any) -> tuple[str, str, dict[str, Any]]:
        allowed = _listing(list(_MOVES))
        if isinstance(item, str):
            item = {item: None}
        if not isinstance(item, dict):
            raise self.stop(pointer, "unknown_move", move=item, allowed=allowed)
        kinds = [key for key in item if key in _MOVES]
        if len(kinds) > 1:
            raise self.stop(pointer, "several_moves", moves=_listing(kinds))
        if not kinds:
            raise self.stop(pointer, "unknown_move", move=_listing(list(item)),
                            allowed=allowed)
        kind = kinds[0]
        accepted = _MOVES[kind] | {kind, "expect_refused"}
        for key in item:
            if key not in accepted:
                raise self.stop(f"{pointer}/{key}", "unknown_key", key=key,
                                allowed=_listing(sorted(accepted)))
        name = item[kind]
        if kind in _NAMED and not isinstance(name, str):
            raise self.stop(pointer, "bad_value", key=kind, what="un nom",
                            what_en="a name")
        return kind, name if kind in _NAMED else "", item

    def expected_errors(self, pointer: str, raw: Any) -> list[tuple[str, str]] | None:
        if raw is None:
            return None
        if isinstance(raw, list) and all(isinstance(e, dict) and set(e) == {"path", "code"}
                                         for e in raw):
            return sorted((str(e["path"]), str(e["code"])) for e in raw)
        raise self.stop(f"{pointer}/expect_errors", "bad_value", key="expect_errors",
                        what="une liste de {path, code}", what_en="a list of {path, code}")

    @staticmethod
    def apply(wf: Workflow, ctx: Context, state: SubmissionState, kind: str, name: str,
              options: Mapping[str, Any]) -> Outcome:
        if kind == "staff":
            roles = options.get("roles")
            if roles is None:  # by default the staff member holds the role the action needs
                found = wf.lifecycle.transition(name)
                roles = [] if found is None else [found.role]
            return staff_transition(wf, state, name, frozenset(map(str, roles)),
                                    options.get("reason"), options.get("data"), ctx.today)
        moves: dict[str, Callable[[], Outcome]] = {
            "open": lambda: open_document(wf, state, name),
            "answer": lambda: answer(wf, state, name, options.get("data") or {}, ctx),
            "back": lambda: back(wf, state, ctx),
            "submit": lambda: submit(wf, state, ctx),
            "cancel": lambda: cancel(wf, state),
            "amend": lambda: amend(wf, state),
        }
        return moves[kind]()

    def check(self, wf: Workflow, ctx: Context, state: SubmissionState,
              expect: Mapping[str, Any]) -> None:
        steps = path(wf, state.data, ctx)
        lang = str(self.loaded.data.get("lang", "fr"))
        sections = review(wf, state.data, steps, lang)
        got: dict[str, Any] = {"unavailable": None, "path": steps, "step": state.step,
                               "status": state.status, "events": self.events}
        summary = expect.get("summary")
        if isinstance(summary, dict):
            # No-break spaces (as in "18 000,00 €") are compared as the spaces an analyst types.
            got["summary"] = {s.title: [_spaces(f"{line.label}: {line.value}")
                                        for line in s.lines] for s in sections}
            expect = {**expect, "summary": {title: [_spaces(str(v)) for v in lines]
                                            if isinstance(lines, list) else lines
                                            for title, lines in summary.items()}}
        else:
            got["summary"] = [s.title for s in sections]
        for key, wanted in expect.items():
            if key == "summary" and isinstance(wanted, dict):
                for title, lines in wanted.items():
                    escaped = title.replace("~", "~0").replace("/", "~1")
                    self.compare(f"/expect/summary/{escaped}", f"summary {title}", lines,
                                 got["summary"].get(title))
            else:
                self.compare(f"/expect/{key}", key, wanted, got[key])

    def compare(self, pointer: str, key: str, wanted: Any, got: Any) -> None:
        if wanted == got:
            return
        if isinstance(wanted, list) and isinstance(got, list):
            index = next((i for i, (w, g) in enumerate(zip(wanted, got, strict=False))
                          if w != g), min(len(wanted), len(got)))
            if index < len(wanted):
                pointer = f"{pointer}/{index}"  # the line of the first item that differs
            wanted, got = wanted[index:index + 1] or "—", got[index:index + 1] or "—"
            key = f"{key} [{index + 1}]"
        self.failures.append(_failure(self.file, self.line(pointer), "expect", key=key,
                                      expected=_show(wanted), got=_show(got)))


def _spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _errors(pairs: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{p}: {c}" for p, c in pairs) or "—"


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, dict):
        return "{" + "; ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)
