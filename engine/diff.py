"""What changes for members between two versions of a workflow, in plain words (French, English).

:func:`diff` compares two versions (compiled workflows or bundles, from the files or the database)
step by step: steps added or removed, a step's form changed, fields added, removed, renamed or
moved (what the newer version's ``migrate`` declares, ``engine.migrations``), made required or no
longer required, bounds and options changed, conditions changed (where a step leads, when it is
skipped, who may start), lifecycle states and transitions added or removed. ``python -m engine
diff`` prints it (docs/publishing.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.bundle import Bundle
from engine.definitions import Step, Target, Workflow
from engine.errors import Message
from engine.migrations import Migration, check_against_old


@dataclass(frozen=True)
class Change:
    """One change a member (or the staff) would notice."""

    code: str
    message: Message
    step: str | None = None
    field: str | None = None

    def as_json(self, lang: str = "fr") -> dict[str, Any]:
        return {"code": self.code, "step": self.step, "field": self.field,
                "message": self.message.text(lang)}


@dataclass(frozen=True)
class _Field:
    path: str
    schema: Mapping[str, Any]
    required: bool
    label: Message


BOUNDS = ("type", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
          "minLength", "maxLength", "minItems", "maxItems", "pattern")
_BOUND_WORDS = {"minimum": ("minimum", "minimum"), "maximum": ("maximum", "maximum"),
                "exclusiveMinimum": ("minimum exclu", "exclusive minimum"),
                "exclusiveMaximum": ("maximum exclu", "exclusive maximum"),
                "minLength": ("longueur minimale", "minimum length"),
                "maxLength": ("longueur maximale", "maximum length"),
                "minItems": ("nombre minimal d'éléments", "minimum number of items"),
                "maxItems": ("nombre maximal d'éléments", "maximum number of items"),
                "pattern": ("format attendu", "expected pattern"), "type": ("type", "type"),
                "format": ("format", "format")}


def _compiled(found: Bundle | Workflow) -> Workflow:
    if isinstance(found, Workflow):
        return found
    from engine.compiler import compile_bundle
    from rules import rule_names

    compiled, issues = compile_bundle(found, rule_names())
    if compiled is None:
        raise ValueError(f"{found.key[0]} version {found.key[1]} does not compile: "
                         + "; ".join(f"{i.code} {i.pointer}" for i in issues))
    return compiled


def diff(old: Bundle | Workflow, new: Bundle | Workflow,
         migration: Migration | None = None) -> list[Change]:
    """Every change from ``old`` to ``new``. Renames and moves come from ``migration`` or, when
    ``new`` is a bundle, from the ``migrate`` it declares (when it migrates from ``old``)."""
    if migration is None and isinstance(new, Bundle):
        migration = Migration.of(new.workflow)
    before, after = _compiled(old), _compiled(new)
    if migration is not None and migration.from_version != before.version:
        migration = None
    changes = list(_steps(before, after, migration))
    changes.extend(_conditions(before, after))
    changes.extend(_lifecycle(before, after))
    return changes


def _q(text: str, lang: str) -> str:
    return f"« {text} »" if lang == "fr" else f"“{text}”"


def _step_name(wf: Workflow, name: str) -> Message:
    title = wf.steps[name].title
    return Message(f"« {title.fr} » ({name})", f"“{title.en}” ({name})")


def _fields(schema: Mapping[str, Any], meta: Mapping[str, Any],
            prefix: str = "") -> dict[str, _Field]:
    found: dict[str, _Field] = {}
    required = set(schema.get("required", ()))
    for name, sub in schema.get("properties", {}).items():
        path = prefix + name
        own = meta.get(name, {}) if isinstance(meta, Mapping) else {}
        raw = own.get("label") if isinstance(own, Mapping) else None
        label = Message(raw["fr"], raw["en"]) if isinstance(raw, Mapping) else Message(name, name)
        found[path] = _Field(path, sub, name in required, label)
        items = sub.get("items")
        if isinstance(items, Mapping) and "properties" in items:
            found.update(_fields(items, own.get("items", {}), path + "."))
        elif "properties" in sub:
            found.update(_fields(sub, own.get("items", own.get("fields", {})), path + "."))
    return found


def _step_fields(wf: Workflow, step: str) -> dict[str, _Field]:
    form = wf.form_of(step)
    return {} if form is None else _fields(form.schema, form.fields)


def _field_words(step: Message, field: _Field) -> Message:
    return Message(f"le champ « {field.label.fr} » ({field.path}) de l'étape {step.fr}",
                   f"field “{field.label.en}” ({field.path}) of step {step.en}")


def _steps(old: Workflow, new: Workflow, migration: Migration | None) -> Iterator[Change]:
    for name in new.steps:
        if name not in old.steps:
            words = _step_name(new, name)
            fields = ", ".join(_step_fields(new, name)) or "-"
            yield Change("step_added", Message(
                f"Nouvelle étape {words.fr} (champs : {fields}).",
                f"New step {words.en} (fields: {fields})."), name)
    for name in old.steps:
        if name not in new.steps:
            words = _step_name(old, name)
            dropped = migration is not None and migration.dropped(name)
            yield Change("step_removed", Message(
                f"L'étape {words.fr} est supprimée" +
                (" ; ses réponses sont retirées des brouillons." if dropped else "."),
                f"Step {words.en} is removed" +
                ("; its answers are dropped from drafts." if dropped else ".")), name)
    if old.start != new.start:
        yield Change("start_changed", Message(
            f"La démarche commence désormais par l'étape « {new.start} » (avant : "
            f"« {old.start} »).",
            f"The procedure now starts with step “{new.start}” (before: “{old.start}”)."))
    moved_in: set[tuple[str, str]] = set()
    pairs: list[tuple[str, str, str, str]] = []  # old step, old field, new step, new field
    if migration is not None:
        for step in old.steps:
            for field, (to_step, to_field) in migration.renamed(step).items():
                if to_step in new.steps and to_field in _step_fields(new, to_step) \
                        and field in _step_fields(old, step):
                    pairs.append((step, field, to_step, to_field))
                    moved_in.add((to_step, to_field))
    for name in new.steps:
        if name not in old.steps:
            continue
        if old.steps[name].form != new.steps[name].form:
            words = _step_name(new, name)
            yield Change("step_form_changed", Message(
                f"L'étape {words.fr} utilise désormais le formulaire « {new.steps[name].form} »"
                f" (avant : « {old.steps[name].form} »).",
                f"Step {words.en} now uses form “{new.steps[name].form}” (before:"
                f" “{old.steps[name].form}”)."), name)
        yield from _step_fields_diff(old, new, name, migration, moved_in, pairs)
    for old_step, old_field, new_step, new_field in pairs:
        before = _step_fields(old, old_step)[old_field]
        after = _step_fields(new, new_step)[new_field]
        where_old, where_new = _step_name(old, old_step), _step_name(new, new_step)
        if old_step == new_step:
            yield Change("field_renamed", Message(
                f"À l'étape {where_new.fr}, le champ « {before.label.fr} » ({old_field}) devient"
                f" « {after.label.fr} » ({new_field}) ; les réponses des brouillons suivent.",
                f"In step {where_new.en}, field “{before.label.en}” ({old_field}) becomes"
                f" “{after.label.en}” ({new_field}); the drafts' answers follow."),
                new_step, new_field)
        else:
            yield Change("field_moved", Message(
                f"Le champ « {before.label.fr} » ({old_field}) de l'étape {where_old.fr} passe"
                f" à l'étape {where_new.fr} ({new_field}) ; les réponses des brouillons suivent.",
                f"Field “{before.label.en}” ({old_field}) of step {where_old.en} moves to step"
                f" {where_new.en} ({new_field}); the drafts' answers follow."),
                new_step, new_field)
        yield from _field_diff(where_new, new_step, before, after)


def _step_fields_diff(old: Workflow, new: Workflow, name: str, migration: Migration | None,
                      moved_in: set[tuple[str, str]],
                      pairs: list[tuple[str, str, str, str]]) -> Iterator[Change]:
    before, after = _step_fields(old, name), _step_fields(new, name)
    words = _step_name(new, name)
    moved_out = {(s, f) for s, f, _, _ in pairs}
    for path, field in after.items():
        if path in before or (name, path) in moved_in:
            continue
        has_default, value = migration.default(name, path) if migration else (False, None)
        need_fr = "obligatoire" if field.required else "facultatif"
        need_en = "required" if field.required else "optional"
        extra = Message("", "")
        if has_default:
            shown = json.dumps(value, ensure_ascii=False)
            extra = Message(f" ; les brouillons qui ont déjà rempli l'étape reçoivent {shown}",
                            f"; drafts that already filled in the step get {shown}")
        yield Change("field_added", Message(
            f"Nouveau champ {need_fr} « {field.label.fr} » ({path}) à l'étape {words.fr}"
            f"{extra.fr}.",
            f"New {need_en} field “{field.label.en}” ({path}) in step {words.en}{extra.en}."),
            name, path)
    for path, field in before.items():
        if path in after or (name, path) in moved_out:
            continue
        dropped = migration is not None and migration.dropped(name, path)
        yield Change("field_removed", Message(
            f"Le champ « {field.label.fr} » ({path}) est retiré de l'étape {words.fr}" +
            (" ; ses réponses sont retirées des brouillons." if dropped else "."),
            f"Field “{field.label.en}” ({path}) is removed from step {words.en}" +
            ("; its answers are dropped from drafts." if dropped else ".")), name, path)
    for path, field in after.items():
        if path in before and (name, path) not in moved_in and (name, path) not in moved_out:
            yield from _field_diff(words, name, before[path], field)


def _field_diff(step_words: Message, step: str, before: _Field,
                after: _Field) -> Iterator[Change]:
    words = _field_words(step_words, after)
    if after.required and not before.required:
        yield Change("field_required", Message(
            f"Le membre doit désormais remplir {words.fr}.",
            f"Members must now fill in {words.en}."), step, after.path)
    elif before.required and not after.required:
        yield Change("field_not_required", Message(
            f"{_cap(words.fr)} devient facultatif.",
            f"{_cap(words.en)} becomes optional."), step, after.path)
    for key in BOUNDS:
        old, new = before.schema.get(key), after.schema.get(key)
        if old != new:
            fr, en = _BOUND_WORDS[key]
            yield Change("bound_changed", Message(
                f"{_cap(words.fr)} : {fr} {_shown(new, 'fr')} (avant : {_shown(old, 'fr')}).",
                f"{_cap(words.en)}: {en} {_shown(new, 'en')} (before: {_shown(old, 'en')})."),
                step, after.path)
    old_enum, new_enum = before.schema.get("enum"), after.schema.get("enum")
    if old_enum is not None and new_enum is not None:
        added = [v for v in new_enum if v not in old_enum]
        removed = [v for v in old_enum if v not in new_enum]
        if added:
            yield Change("options_added", Message(
                f"{_cap(words.fr)} : nouveaux choix {_list(added)}.",
                f"{_cap(words.en)}: new choices {_list(added)}."), step, after.path)
        if removed:
            yield Change("options_removed", Message(
                f"{_cap(words.fr)} : choix retirés {_list(removed)}.",
                f"{_cap(words.en)}: choices taken away {_list(removed)}."), step, after.path)
    elif old_enum != new_enum:
        yield Change("bound_changed", Message(
            f"{_cap(words.fr)} : liste de choix {_shown(new_enum, 'fr')} (avant :"
            f" {_shown(old_enum, 'fr')}).",
            f"{_cap(words.en)}: list of choices {_shown(new_enum, 'en')} (before:"
            f" {_shown(old_enum, 'en')})."), step, after.path)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shown(value: Any, lang: str) -> str:
    if value is None:
        return "aucun" if lang == "fr" else "none"
    if isinstance(value, list):
        return _list(value)
    return json.dumps(value, ensure_ascii=False)


def _list(values: list[Any]) -> str:
    return ", ".join(json.dumps(v, ensure_ascii=False) for v in values)


def _targets(targets: tuple[Target, ...], lang: str) -> str:
    parts = []
    for t in targets:
        if t.when is None:
            parts.append(f"→ {t.to}")
        else:
            word = "si" if lang == "fr" else "if"
            parts.append(f"→ {t.to} {word} {t.when.text}")
    return "; ".join(parts) or ("fin" if lang == "fr" else "end")


def _conditions(old: Workflow, new: Workflow) -> Iterator[Change]:
    for name, step in new.steps.items():
        if name not in old.steps:
            continue
        was: Step = old.steps[name]
        words = _step_name(new, name)
        if [(t.to, t.when and t.when.text) for t in was.next] != \
                [(t.to, t.when and t.when.text) for t in step.next]:
            yield Change("next_changed", Message(
                f"Après l'étape {words.fr} : {_targets(step.next, 'fr')} (avant :"
                f" {_targets(was.next, 'fr')}).",
                f"After step {words.en}: {_targets(step.next, 'en')} (before:"
                f" {_targets(was.next, 'en')})."), name)
        before = was.skip_unless.text if was.skip_unless else None
        after = step.skip_unless.text if step.skip_unless else None
        if before != after:
            yield Change("skip_unless_changed", Message(
                f"L'étape {words.fr} est posée {_when(after, 'fr')} (avant :"
                f" {_when(before, 'fr')}).",
                f"Step {words.en} is asked {_when(after, 'en')} (before:"
                f" {_when(before, 'en')})."), name)
    before_av = [(r.code, r.when.text) for r in old.availability]
    after_av = [(r.code, r.when.text) for r in new.availability]
    if before_av != after_av:
        def shown(rows: list[tuple[str, str]]) -> str:
            return "; ".join(f"{code}: {when}" for code, when in rows) or "-"
        yield Change("availability_changed", Message(
            f"Qui peut commencer la démarche change : {shown(after_av)} (avant :"
            f" {shown(before_av)}).",
            f"Who may start the procedure changes: {shown(after_av)} (before:"
            f" {shown(before_av)})."))


def _when(text: str | None, lang: str) -> str:
    if text is None:
        return "toujours" if lang == "fr" else "always"
    return f"si {text}" if lang == "fr" else f"if {text}"


def _lifecycle(old: Workflow, new: Workflow) -> Iterator[Change]:
    life_old, life_new = old.lifecycle, new.lifecycle
    for state, title in life_new.states.items():
        if state not in life_old.states:
            yield Change("state_added", Message(
                f"Nouvel état « {title.fr} » ({state}).", f"New state “{title.en}” ({state})."))
    for state, title in life_old.states.items():
        if state not in life_new.states:
            yield Change("state_removed", Message(
                f"L'état « {title.fr} » ({state}) est supprimé.",
                f"State “{title.en}” ({state}) is removed."))
    if [(t.to, t.when and t.when.text) for t in life_old.entries] != \
            [(t.to, t.when and t.when.text) for t in life_new.entries]:
        yield Change("initial_changed", Message(
            f"Une démarche transmise entre : {_targets(life_new.entries, 'fr')} (avant :"
            f" {_targets(life_old.entries, 'fr')}).",
            f"A submitted procedure enters: {_targets(life_new.entries, 'en')} (before:"
            f" {_targets(life_old.entries, 'en')})."))
    old_tr = {t.name: t for t in life_old.transitions}
    new_tr = {t.name: t for t in life_new.transitions}
    for name, t in new_tr.items():
        sources = ", ".join(t.sources)
        if name not in old_tr:
            yield Change("transition_added", Message(
                f"Nouvelle décision « {t.title.fr} » ({name}) : {sources} → {t.dest}, rôle"
                f" {t.role}.",
                f"New decision “{t.title.en}” ({name}): {sources} → {t.dest}, role {t.role}."))
        elif (old_tr[name].sources, old_tr[name].dest, old_tr[name].role) != \
                (t.sources, t.dest, t.role):
            was = old_tr[name]
            yield Change("transition_changed", Message(
                f"La décision « {t.title.fr} » ({name}) va de {sources} → {t.dest}, rôle"
                f" {t.role} (avant : {', '.join(was.sources)} → {was.dest}, rôle {was.role}).",
                f"Decision “{t.title.en}” ({name}) goes {sources} → {t.dest}, role {t.role}"
                f" (before: {', '.join(was.sources)} → {was.dest}, role {was.role})."))
    for name, t in old_tr.items():
        if name not in new_tr:
            yield Change("transition_removed", Message(
                f"La décision « {t.title.fr} » ({name}) est supprimée.",
                f"Decision “{t.title.en}” ({name}) is removed."))


# ------------------------------------------------------------------------------------ reporting

def render(old: Workflow, new: Workflow, changes: list[Change],
           migration_issues: list[tuple[str, str, Message]], lang: str, fmt: str) -> str:
    """The diff as the commands print it: text (one line per change) or JSON."""
    if fmt == "json":
        return json.dumps({
            "workflow": new.id, "from": old.version, "to": new.version,
            "changes": [c.as_json(lang) for c in changes],
            "migration_problems": [{"pointer": p, "code": c, "message": m.text(lang)}
                                   for p, c, m in migration_issues]},
            ensure_ascii=False, indent=2)
    head = (f"{new.id}: version {old.version} → {new.version}" if lang == "en" else
            f"{new.id} : version {old.version} → {new.version}")
    lines = [head]
    if not changes:
        lines.append("no change for members" if lang == "en" else
                     "aucun changement pour les membres")
    lines.extend(f"- {c.message.text(lang)} [{c.code}]" for c in changes)
    for pointer, code, message in migration_issues:
        lines.append(f"migrate {pointer}: {code}: {message.text(lang)}")
    return "\n".join(lines)


def migration_issues(old: Workflow, new_bundle: Bundle | None) -> list[tuple[str, str, Message]]:
    """The problems of the ``migrate`` the newer version declares, against the older one (when
    it migrates from it)."""
    migration = None if new_bundle is None else Migration.of(new_bundle.workflow)
    if migration is None or migration.from_version != old.version:
        return []
    return check_against_old(migration, old)


def run_diff(root: Path, name: str, old_version: int, new_version: int, lang: str,
             fmt: str) -> int:
    """``python -m engine diff``: 0 printed, 1 a version is unknown or the migration does not fit
    the older version, 2 crash."""
    from engine.loading import load_definitions

    try:
        loaded = load_definitions(root)
        missing = [v for v in (old_version, new_version) if (name, v) not in loaded.workflows]
        if missing:
            known = ", ".join(f"{w} v{v}" for w, v in sorted(loaded.workflows)) or "-"
            print((f"unknown version: {name} v{missing[0]} (known: {known}; a version with"
                   " problems is not compiled, see python -m engine check)") if lang == "en" else
                  (f"version inconnue : {name} v{missing[0]} (connues : {known} ; une version"
                   " qui a des problèmes n'est pas compilée, voir python -m engine check)"),
                  file=sys.stderr)
            return 1
        old, new = loaded.workflows[(name, old_version)], loaded.workflows[(name, new_version)]
        bundle = loaded.bundles[(name, new_version)]
        migration = Migration.of(bundle.workflow)
        changes = diff(old, new, migration)
        issues = migration_issues(old, bundle)
    except Exception as error:  # noqa: BLE001 - a crash of the command is exit 2, not 1
        print(f"internal error while comparing {name}: {error!r}", file=sys.stderr)
        return 2
    print(render(old, new, changes, issues, lang, fmt))
    return 1 if issues else 0
