"""Migrations of drafts from one workflow version to the next (docs/publishing.md).

A workflow version may declare ``migrate: {from: N, steps: [...]}``: what to do with the answers of
the drafts started on version N so they can go on with this version. Four operations, each on one
field of one step's answers (``data``):

- ``rename: {step, from, to}``: the answer of field ``from`` becomes field ``to`` of the same step;
- ``move: {from: {step, field}, to: {step, field}}``: the answer moves to another step (or name);
- ``drop: {step, field?}``: the answer is thrown away on purpose (the whole step without ``field``);
- ``default: {step, field, value}``: an answered step without that field gets ``value``.

:func:`check_migration` checks a declaration against the version that declares it (the new
forms: the compiler runs it); :func:`check_against_old` against the version it migrates from,
which the engine may not have on disk (the commands run it with the stored bundle).
:func:`migrate_state` applies the operations to one draft and validates every answered step
against the new forms: a draft migrates only when nothing would be lost or invalid.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.definitions import Workflow
from engine.errors import Message
from engine.state import SubmissionState
from engine.validation import build_validator, validate_step

Issue = tuple[str, str, Message]
"""(pointer into the workflow file, code, message), as the other checks give them."""


@dataclass(frozen=True)
class Operation:
    kind: str
    """``rename``, ``move``, ``drop`` or ``default``."""
    step: str
    """The step whose answer is read (``rename``, ``move``, ``drop``) or set (``default``)."""
    field: str | None
    to_step: str | None = None
    to_field: str | None = None
    value: Any = None
    pointer: str = ""


@dataclass(frozen=True)
class Migration:
    from_version: int
    to_version: int
    operations: tuple[Operation, ...]

    @classmethod
    def of(cls, workflow: Mapping[str, Any]) -> Migration | None:
        """The migration a workflow file (a bundle's ``workflow``) declares, if any."""
        raw = workflow.get("migrate")
        if raw is None:
            return None
        return cls(int(raw["from"]), int(workflow["version"]),
                   tuple(_operation(op, f"/migrate/steps/{i}")
                         for i, op in enumerate(raw["steps"])))

    def renamed(self, step: str) -> dict[str, tuple[str, str]]:
        """Old field of ``step`` → (new step, new field), for renames and moves."""
        return {op.field: (op.to_step, op.to_field) for op in self.operations
                if op.kind in ("rename", "move") and op.step == step and op.field
                and op.to_step and op.to_field}

    def dropped(self, step: str, name: str | None = None) -> bool:
        return any(op.kind == "drop" and op.step == step and op.field in (None, name)
                   for op in self.operations)

    def default(self, step: str, name: str) -> tuple[bool, Any]:
        for op in self.operations:
            if op.kind == "default" and op.step == step and op.field == name:
                return True, op.value
        return False, None


def _operation(raw: Mapping[str, Any], pointer: str) -> Operation:
    kind, body = next(iter(raw.items()))
    if kind == "rename":
        return Operation(kind, body["step"], body["from"], body["step"], body["to"],
                         pointer=f"{pointer}/rename")
    if kind == "move":
        return Operation(kind, body["from"]["step"], body["from"]["field"], body["to"]["step"],
                         body["to"]["field"], pointer=f"{pointer}/move")
    if kind == "drop":
        return Operation(kind, body["step"], body.get("field"), pointer=f"{pointer}/drop")
    return Operation("default", body["step"], body["field"], value=body["value"],
                     pointer=f"{pointer}/default")


# ------------------------------------------------------------------------------------- checks

def _form_properties(steps: Mapping[str, Any], forms: Mapping[str, Any],
                     step: str) -> Mapping[str, Any] | None:
    form = forms.get(steps.get(step, {}).get("form", ""))
    return None if form is None else form["schema"].get("properties", {})


def check_migration(wf: Mapping[str, Any], forms: Mapping[str, Mapping[str, Any]]) \
        -> Iterator[Issue]:
    """A ``migrate`` declaration against the version that declares it: ``from`` is older, every
    field a rename, move or default writes exists in this version's forms, and a default is a
    valid answer for its field."""
    if "migrate" not in wf:
        return
    migration = Migration.of(wf)
    assert migration is not None
    if migration.from_version >= migration.to_version:
        yield "/migrate/from", "migration_not_older", Message(
            f"« migrate.from » ({migration.from_version}) doit être une version plus ancienne"
            f" que celle-ci ({migration.to_version}).",
            f"“migrate.from” ({migration.from_version}) must be an older version than this one"
            f" ({migration.to_version}).")
    steps = wf["steps"]
    for op in migration.operations:
        if op.kind == "drop":
            continue  # names of the older version: checked against it (check_against_old)
        step = op.to_step if op.kind in ("rename", "move") else op.step
        name = op.to_field if op.kind in ("rename", "move") else op.field
        assert step is not None and name is not None
        where = f"{op.pointer}/to" if op.kind == "move" else op.pointer
        yield from _check_target(steps, forms, step, name, where, "")
        properties = _form_properties(steps, forms, step)
        if op.kind == "default" and properties is not None and name in properties:
            errors = list(build_validator(properties[name]).iter_errors(op.value))
            if errors:
                yield f"{op.pointer}/value", "migration_bad_default", Message(
                    f"La valeur par défaut de « {step}.{name} » n'est pas une réponse valable"
                    f" pour ce champ : {errors[0].message}.",
                    f"The default of “{step}.{name}” is not a valid answer for this field:"
                    f" {errors[0].message}.")


def _check_target(steps: Mapping[str, Any], forms: Mapping[str, Any], step: str, name: str,
                  pointer: str, version_fr: str, version_en: str = "",
                  code_suffix: str = "") -> Iterator[Issue]:
    which_fr, which_en = version_fr or "cette version", version_en or "this version"
    if step not in steps:
        yield pointer, f"migration_unknown_step{code_suffix}", Message(
            f"L'étape « {step} » n'existe pas dans {which_fr} (étapes : "
            f"{', '.join(sorted(steps))}).",
            f"Step “{step}” does not exist in {which_en} (steps: {', '.join(sorted(steps))}).")
        return
    properties = _form_properties(steps, forms, step)
    if properties is None or name not in properties:
        known = ", ".join(sorted(properties or {})) or "-"
        yield pointer, f"migration_unknown_field{code_suffix}", Message(
            f"Le formulaire de l'étape « {step} » n'a pas de champ « {name} » dans {which_fr}"
            f" (champs : {known}).",
            f"The form of step “{step}” has no field “{name}” in {which_en} (fields: {known}).")


def check_against_old(migration: Migration, old: Workflow) -> list[Issue]:
    """The fields a migration reads (rename, move, drop) exist in the version it migrates from
    (given compiled: from the files or the database)."""
    if old.version != migration.from_version:
        return [("/migrate/from", "migration_wrong_version", Message(
            f"Cette migration part de la version {migration.from_version}, pas de la version"
            f" {old.version}.",
            f"This migration starts from version {migration.from_version}, not version"
            f" {old.version}."))]
    steps = {name: {"form": s.form} for name, s in old.steps.items() if s.form}
    steps |= {name: {} for name in old.steps if name not in steps}
    forms = {name: {"schema": f.schema} for name, f in old.forms.items()}
    found: list[Issue] = []
    label_fr, label_en = f"la version {old.version}", f"version {old.version}"
    for op in migration.operations:
        where = f"{op.pointer}/from" if op.kind == "move" else op.pointer
        if op.kind == "drop" and op.field is None:
            if op.step not in steps:
                found.extend(_check_target(steps, forms, op.step, "", where, label_fr, label_en,
                                           "_in_old"))
            continue
        if op.kind != "default":
            assert op.field is not None
            found.extend(_check_target(steps, forms, op.step, op.field, where, label_fr,
                                       label_en, "_in_old"))
    return found


# --------------------------------------------------------------------------- migrating a draft

@dataclass(frozen=True)
class MigrationProblem:
    """Why one draft cannot move to the new version."""

    code: str
    step: str | None
    path: str
    message: Message

    def as_json(self, lang: str = "fr") -> dict[str, Any]:
        return {"code": self.code, "step": self.step, "path": self.path,
                "message": self.message.text(lang)}

    def as_text(self, lang: str = "fr") -> str:
        where = self.step or ""
        if self.path:
            where += self.path
        return f"{self.code} [{where}]: {self.message.text(lang)}" if where else \
            f"{self.code}: {self.message.text(lang)}"


@dataclass(frozen=True)
class MigrationResult:
    state: SubmissionState | None
    """The migrated draft, on the new version; None when it cannot move."""
    problems: tuple[MigrationProblem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.state is not None


def migrate_state(old_wf: Workflow, new_wf: Workflow, migration: Migration,
                  state: SubmissionState) -> MigrationResult:
    """``state`` (a draft of ``old_wf``) moved to ``new_wf`` by ``migration``, or every reason it
    cannot be: an answer the new forms would not keep and that the migration neither renames,
    moves nor drops (it would lose data), an answer no longer valid (a new required field without
    a default, a value out of the new bounds, an option taken away), a rename onto a field that
    already holds an answer. Only the forms are checked: the steps' rules and dynamic choices need
    the member's context and run again when the member answers the step."""
    problems: list[MigrationProblem] = []
    if state.status != "draft" or state.editing:
        problems.append(MigrationProblem("not_a_draft", None, "", Message(
            "Seuls les brouillons changent de version : une démarche transmise garde la sienne.",
            "Only drafts change version: a submitted procedure keeps its own.")))
    if state.workflow != new_wf.id or state.version != migration.from_version \
            or old_wf.version != migration.from_version:
        problems.append(MigrationProblem("wrong_version", None, "", Message(
            f"Ce brouillon est en version {state.version} de « {state.workflow} » ; la migration"
            f" part de la version {migration.from_version} de « {new_wf.id} ».",
            f"This draft is on version {state.version} of “{state.workflow}”; the migration"
            f" starts from version {migration.from_version} of “{new_wf.id}”.")))
    if problems:
        return MigrationResult(None, tuple(problems))
    data: dict[str, dict[str, Any]] = {k: dict(v) for k, v in copy.deepcopy(
        dict(state.data)).items()}
    labels: dict[str, dict[str, Any]] = {k: dict(v) for k, v in state.labels.items()}
    problems.extend(_apply(migration, data, labels))
    for step_name, answers in sorted(data.items()):
        problems.extend(_check_step(new_wf, migration, step_name, answers))
    if problems:
        return MigrationResult(None, tuple(problems))
    step, reached = state.step, state.reached_review
    if step is not None and step not in new_wf.steps:  # where the member was is gone
        step, reached = new_wf.start, False
    labels = {k: v for k, v in labels.items() if v and k in data}
    return MigrationResult(state.evolve(version=new_wf.version, data=data, labels=labels,
                                        step=step, reached_review=reached))


def _apply(migration: Migration, data: dict[str, dict[str, Any]],
           labels: dict[str, dict[str, Any]]) -> Iterator[MigrationProblem]:
    missing = object()
    for op in migration.operations:
        answers = data.get(op.step)
        if op.kind == "drop":
            if op.field is None:
                data.pop(op.step, None)
                labels.pop(op.step, None)
            elif answers is not None:
                answers.pop(op.field, None)
                labels.get(op.step, {}).pop(op.field, None)
        elif op.kind == "default":
            assert op.field is not None
            if answers is not None and op.field not in answers:
                answers[op.field] = copy.deepcopy(op.value)
        elif answers is not None and op.field in answers:  # rename or move
            assert op.field is not None and op.to_step is not None and op.to_field is not None
            value = answers.pop(op.field)
            target = data.setdefault(op.to_step, {})
            if target.get(op.to_field, missing) is not missing:
                yield MigrationProblem("target_taken", op.to_step, f"/{op.to_field}", Message(
                    f"« {op.step}.{op.field} » irait dans « {op.to_step}.{op.to_field} », qui a"
                    " déjà une réponse : l'une des deux serait perdue.",
                    f"“{op.step}.{op.field}” would go into “{op.to_step}.{op.to_field}”, which"
                    " already holds an answer: one of them would be lost."))
                continue
            target[op.to_field] = value
            label = labels.get(op.step, {}).pop(op.field, None)
            if label is not None:
                labels.setdefault(op.to_step, {})[op.to_field] = label


def _check_step(new_wf: Workflow, migration: Migration, step_name: str,
                answers: Mapping[str, Any]) -> Iterator[MigrationProblem]:
    step = new_wf.steps.get(step_name)
    if step is None or step.form is None:
        if answers:
            yield MigrationProblem("would_lose_data", step_name, "", Message(
                f"L'étape « {step_name} » n'existe plus (ou n'a plus de formulaire) en version"
                f" {new_wf.version} : ses réponses seraient perdues. Déclarez"
                f" « drop: {{step: {step_name}}} » si c'est voulu, ou déplacez-les (« move »).",
                f"Step “{step_name}” no longer exists (or has no form) in version"
                f" {new_wf.version}: its answers would be lost. Declare"
                f" “drop: {{step: {step_name}}}” if this is meant, or move them (“move”)."))
        return
    form = new_wf.forms[step.form]
    known = form.schema.get("properties", {})
    lost = [name for name in answers if name not in known]
    for name in lost:
        yield MigrationProblem("would_lose_data", step_name, f"/{name}", Message(
            f"Le champ « {name} » de l'étape « {step_name} » n'existe plus en version"
            f" {new_wf.version} : la réponse du membre serait perdue. Déclarez « rename »,"
            " « move » ou « drop » pour ce champ.",
            f"Field “{name}” of step “{step_name}” no longer exists in version"
            f" {new_wf.version}: the member's answer would be lost. Declare “rename”, “move” or"
            " “drop” for this field."))
    kept = {k: v for k, v in answers.items() if k not in lost}
    for error in validate_step(form.validator, form.fields, kept):
        yield MigrationProblem(error.code, step_name, error.path, Message(
            f"Étape « {step_name} » : {error.message.fr}",
            f"Step “{step_name}”: {error.message.en}"))

