"""Warnings about what conditions read, found once a workflow version compiles.

``skippable_field_read``
    a condition or value (``next[].when``, ``skip_unless``, ``initial[].when``, ``choices``
    ``with``, ``produces.with``, ``shows``) reads ``answers.<step>.<field>`` where the step has
    ``skip_unless`` and its form requires the field: when the step is skipped the value is null,
    which the reader may not expect. Not reported when the condition is guarded, i.e. it is an
    ``and`` one of whose parts is the step's own ``skip_unless`` or ``answers.<step>.<field> !=
    null``. Rules read answers too, but what they read is not known here: they are not checked.
``condition_constant``
    a ``when``, ``skip_unless`` or ``availability`` condition that gives the same result whatever
    the values it reads, when each of them has a finite domain: an ``enum`` field (its values), a
    yes/no field (``true``/``false``), plus ``null`` when the value may be missing (a step that can
    be skipped or is not on every path to the condition, a field its schema does not require).
    A condition reading a number, a free text, a date, a list or a group is not decidable and is
    skipped (``len`` of an ``enum`` field is decided: its values are known), and so is one with
    more than :data:`MAX_COMBINATIONS` combinations. The result is exact over those values, which
    may include impossible ones (never fewer): a condition reported is really constant.

Each check yields ``(pointer, code, message)``, like :mod:`engine.workflowchecks`; the loader
reports them as warnings.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from engine.bundle import Bundle
from engine.errors import ExpressionError, Message
from engine.expressions import compile_expression
from engine.expressions_parse import BoolOp, parse
from engine.workflowchecks import initial_targets, targets

Issue = tuple[str, str, Message]
MAX_COMBINATIONS = 4096
_UNDECIDABLE = None


def condition_warnings(bundle: Bundle, env: Mapping[str, Mapping[str, Any]]) -> Iterator[Issue]:
    """``env`` is the compiler's ``condition_env(bundle)``."""
    yield from _skippable_reads(bundle, env)
    yield from _constants(bundle, env)


def _reads(wf: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(pointer, text) of every condition and value that may read answers."""
    for name, step in wf["steps"].items():
        if "skip_unless" in step:
            yield f"/steps/{name}/skip_unless", step["skip_unless"]
        if isinstance(step.get("next"), list):
            for i, target in enumerate(step["next"]):
                if "when" in target:
                    yield f"/steps/{name}/next/{i}/when", target["when"]
        for i, shown in enumerate(step.get("shows", [])):
            yield f"/steps/{name}/shows/{i}/value", shown["value"]
        for field, source in step.get("choices", {}).items():
            for param, text in source.get("with", {}).items():
                yield f"/steps/{name}/choices/{field}/with/{param}", text
    life = wf["lifecycle"]
    if isinstance(life["initial"], list):
        for i, target in enumerate(life["initial"]):
            if "when" in target:
                yield f"/lifecycle/initial/{i}/when", target["when"]
    for i, tr in enumerate(life["transitions"]):
        for param, text in tr.get("produces", {}).get("with", {}).items():
            yield f"/lifecycle/transitions/{i}/produces/with/{param}", text


def _names(text: Any, env: Mapping[str, Mapping[str, Any]]) -> frozenset[str] | None:
    try:
        return compile_expression(text, env).names
    except ExpressionError:  # already reported by the compiler
        return None


def _spaced(text: str) -> str:
    return " ".join(text.split())


def _guards(text: str) -> set[str]:
    """The parts of a top-level ``and``, spaces normalised."""
    tree = parse(text)
    if isinstance(tree, BoolOp) and tree.op == "and":
        return {_spaced(text[part.start:part.end]) for part in tree.operands}
    return set()


def _skippable_reads(bundle: Bundle, env: Mapping[str, Mapping[str, Any]]) -> Iterator[Issue]:
    steps: Mapping[str, Any] = bundle.workflow["steps"]
    required = {name: set(bundle.forms[s["form"]]["schema"].get("required", []))
                for name, s in steps.items()
                if "skip_unless" in s and s.get("form") in bundle.forms}
    for pointer, text in _reads(bundle.workflow):
        names = _names(text, env)
        if not names:
            continue
        for step, fields in required.items():
            if pointer == f"/steps/{step}/skip_unless":
                continue
            read = sorted({parts[2] for parts in (n.split(".") for n in names)
                           if len(parts) >= 3 and parts[:2] == ["answers", step]
                           and parts[2] in fields})
            if not read:
                continue
            guards = _guards(text)
            unless = steps[step]["skip_unless"]
            for field in read:
                name = f"answers.{step}.{field}"
                if _spaced(unless) in guards or f"{name} != null" in guards:
                    continue
                yield pointer, "skippable_field_read", Message(
                    f"« {name} » est vide (null) quand l'étape « {step} » est passée"
                    f" (« skip_unless: {unless} ») : ici, il est lu comme s'il était toujours"
                    f" rempli. Ajoutez la même condition (« {unless} and ... ») ou"
                    f" « {name} != null and ... ».",
                    f"“{name}” is empty (null) when step “{step}” is skipped (“skip_unless:"
                    f" {unless}”): here it is read as if it were always answered. Add the same"
                    f" condition (“{unless} and ...”) or “{name} != null and ...”.")


# ------------------------------------------------------------------- always true, always false

def _conditions(wf: Mapping[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """(pointer, text, where): ``where`` is the step at which it runs, ``""`` after the review
    (``initial``), None before the start (``availability``)."""
    for i, req in enumerate(wf.get("availability", [])):
        yield f"/availability/{i}/when", req["when"], None
    for name, step in wf["steps"].items():
        if "skip_unless" in step:
            yield f"/steps/{name}/skip_unless", step["skip_unless"], name
        if isinstance(step.get("next"), list):
            for i, target in enumerate(step["next"]):
                if "when" in target:
                    yield f"/steps/{name}/next/{i}/when", target["when"], name
    if isinstance(wf["lifecycle"]["initial"], list):
        for i, target in enumerate(initial_targets(wf["lifecycle"])):
            if "when" in target:
                yield f"/lifecycle/initial/{i}/when", target["when"], ""


def _answered_before(steps: Mapping[str, Any], start: str, where: str) -> set[str]:
    """The steps whose answers are always there when a condition of ``where`` runs: those on
    every path from the start to it, never skipped (``where`` itself only for its ``next``)."""
    edges = {n: [t["to"] for t in targets(s) if t["to"] in steps] for n, s in steps.items()}
    goal = where or next((n for n, s in steps.items() if s.get("review")), "")

    def reaches_without(removed: str) -> bool:
        if removed == start:
            return False
        seen, todo = {start}, [start]
        while todo:
            here = todo.pop()
            if here == goal:
                return True
            for nxt in edges.get(here, []):
                if nxt != removed and nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    return {n for n, s in steps.items()
            if "skip_unless" not in s and not s.get("review")
            and (n == goal or not reaches_without(n))}


def _domain(env: Mapping[str, Mapping[str, Any]], path: Sequence[str],
            answered: set[str]) -> list[Any] | None:
    """The values ``path`` may have, or None when they are not a small finite set."""
    if path[0] not in env:
        return _UNDECIDABLE
    schema: Any = env[path[0]]
    nullable = False
    for index, part in enumerate(path[1:], start=1):
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        if not isinstance(properties, Mapping) or part not in properties:
            return _UNDECIDABLE
        if path[0] == "answers" and index == 1:
            nullable |= part not in answered
        else:
            nullable |= part not in schema.get("required", [])
        schema = properties[part]
    if not isinstance(schema, Mapping):
        return _UNDECIDABLE
    enum = schema.get("enum", [schema["const"]] if "const" in schema else None)
    kinds = schema.get("type")
    if isinstance(enum, list) and all(isinstance(v, str | bool) or v is None for v in enum):
        values = list(enum)
    elif kinds == "boolean" or (isinstance(kinds, list) and set(kinds) <= {"boolean", "null"}
                                and "boolean" in kinds):
        values = [True, False]
        nullable |= isinstance(kinds, list)
    else:
        return _UNDECIDABLE
    if isinstance(kinds, list) and "null" in kinds:
        nullable = True
    return values + [None] if nullable and None not in values else values


def _constants(bundle: Bundle, env: Mapping[str, Mapping[str, Any]]) -> Iterator[Issue]:
    wf = bundle.workflow
    steps: Mapping[str, Any] = wf["steps"]
    for pointer, text, where in _conditions(wf):
        try:
            expression = compile_expression(text, env)
        except ExpressionError:
            continue
        names = sorted(expression.names)
        if any(a != b and b.startswith(a + ".") for a in names for b in names):
            continue  # a group and one of its fields: their values are not independent
        answered = set() if where is None or wf["start"] not in steps else \
            _answered_before(steps, wf["start"], where)
        if where and pointer.endswith("/skip_unless"):
            answered.discard(where)
        domains = [_domain(env, name.split("."), answered) for name in names]
        if any(d is None for d in domains):
            continue
        count = 1
        for domain in domains:
            count *= len(domain or ())
        if count > MAX_COMBINATIONS:
            continue
        results = {expression.test(_values(names, combination))
                   for combination in itertools.product(*(d or () for d in domains))}
        if len(results) != 1:
            continue
        always = results.pop()
        fr, en = _consequence(pointer, always)
        yield pointer, "condition_constant", Message(
            f"La condition « {text} » est toujours {'vraie' if always else 'fausse'}, quelles"
            f" que soient les valeurs qu'elle lit : {fr}. Corrigez-la, ou retirez-la.",
            f"The condition “{text}” is always {'true' if always else 'false'}, whatever the"
            f" values it reads: {en}. Correct it, or remove it.")


def _consequence(pointer: str, always: bool) -> tuple[str, str]:
    """What a constant condition means where it is, in French and in English."""
    if pointer.endswith("/skip_unless"):
        return ("l'étape n'est jamais passée", "the step is never skipped") if always else \
            ("l'étape est toujours passée", "the step is always skipped")
    if pointer.startswith("/availability/"):
        return ("elle ne refuse jamais personne", "it never refuses anyone") if always else \
            ("personne ne peut commencer la démarche", "nobody can start the procedure")
    return ("les cibles suivantes ne sont jamais prises", "the targets after it are never taken") \
        if always else ("sa cible n'est jamais prise", "its target is never taken")


def _values(names: Sequence[str], combination: Sequence[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in zip(names, combination, strict=True):
        *parents, leaf = name.split(".")
        here = values
        for part in parents:
            here = here.setdefault(part, {})
        here[leaf] = value
    return values
