"""Semantic checks of a workflow that its meta-schema cannot express.

Unknown targets, forms, rules, documents, contexts, catalogues, choice lists and lifecycle states;
dynamic-choice fields without a source; unreachable steps; steps from which the review cannot be
reached. Each yields ``(pointer, code, message)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from engine.errors import Message
from engine.formchecks import dynamic_fields
from engine.templates import PLACEHOLDERS, placeholders

Issue = tuple[str, str, Message]
RESERVED_STATES = ("draft", "cancelled")
RESERVED_ACTIONS = ("submit", "cancel", "amend", "back", "next")


def targets(step: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``next`` of a step as a list of ``{to, when?}``, whatever form the YAML used."""
    nxt = step.get("next")
    if nxt is None:
        return []
    if isinstance(nxt, str):
        return [{"to": nxt}]
    return [dict(t) for t in nxt]


def initial_targets(life: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The lifecycle's ``initial`` as a list of ``{to, when?}``, whatever form the YAML used."""
    return targets({"next": life["initial"]})


def check_workflow(wf: Mapping[str, Any], forms: Mapping[str, Any], contexts: Mapping[str, Any],
                   rule_names: frozenset[str],
                   known: Mapping[str, frozenset[str]] | None = None,
                   catalogues: Mapping[str, Any] | None = None,
                   choice_names: frozenset[str] | None = None) -> Iterator[Issue]:
    """``known`` names every form, context and catalogue of the tree, for the hints of the
    messages. ``catalogues`` are those the workflow may use; ``choice_names`` the registered
    choice lists (neither is checked when None)."""
    steps: Mapping[str, Any] = wf["steps"]
    yield from _check_references(wf, steps, forms, contexts, rule_names, known or {})
    if catalogues is not None:
        for i, name in enumerate(wf.get("catalogues", [])):
            if name not in catalogues:
                yield f"/catalogues/{i}", "unknown_catalogue", _unknown(
                    "Le catalogue", "Catalogue", name, (known or {}).get("catalogues",
                                                                         catalogues))
    yield from _check_choices(steps, forms, choice_names)
    yield from _check_prefill(steps, forms)
    for i, transition in enumerate(wf["lifecycle"]["transitions"]):
        if "form" in transition and transition["form"] not in forms:
            yield f"/lifecycle/transitions/{i}/form", "unknown_form", _unknown(
                "Le formulaire", "Form", transition["form"], (known or {}).get("forms", forms))
    yield from _check_graph(wf, steps)
    yield from _check_lifecycle(wf["lifecycle"], wf.get("documents", {}))


def _check_prefill(steps: Mapping[str, Any], forms: Mapping[str, Any]) -> Iterator[Issue]:
    """What ``prefill`` fills in is a field of the step's form. (Its sources are the web
    layer's: an unknown one stops the service at start, as an unknown producer does.)"""
    for name, step in steps.items():
        form = forms.get(step.get("form", ""))
        for field in step.get("prefill", {}):
            if form is not None and field not in form["fields"]:
                listed = ", ".join(form["fields"])
                yield f"/steps/{name}/prefill/{field}", "unknown_prefill_field", Message(
                    f"« {field} » n'est pas un champ du formulaire « {step['form']} » : il ne"
                    f" peut pas être pré-rempli. Champs possibles : {listed}.",
                    f"“{field}” is not a field of form “{step['form']}”: it cannot be"
                    f" pre-filled. Possible fields: {listed}.")


def _check_choices(steps: Mapping[str, Any], forms: Mapping[str, Any],
                   choice_names: frozenset[str] | None) -> Iterator[Issue]:
    """Each ``choices: dynamic`` field of a step's form gets a registered choice list."""
    for name, step in steps.items():
        form = forms.get(step.get("form", ""))
        dynamic = dynamic_fields(form["fields"]) if form else []
        supplied: Mapping[str, Any] = step.get("choices", {})
        for field in dynamic:
            if field not in supplied:
                yield f"/steps/{name}", "missing_choices", Message(
                    f"Le champ « {field} » du formulaire « {step['form']} » a des choix calculés"
                    f" (« choices: dynamic ») : indiquez sous « choices » de l'étape « {name} »"
                    " la liste de choix qui les donne.",
                    f"Field “{field}” of form “{step['form']}” has computed choices (“choices:"
                    f" dynamic”): say under “choices” of step “{name}” which choice list gives"
                    " them.")
        for field, source in supplied.items():
            if form is not None and field not in dynamic:
                listed = ", ".join(dynamic) or "—"
                yield f"/steps/{name}/choices/{field}", "not_dynamic_field", Message(
                    f"« {field} » n'est pas un champ à choix calculés (« choices: dynamic ») du"
                    f" formulaire « {step['form']} ». Champs possibles : {listed}.",
                    f"“{field}” is not a field with computed choices (“choices: dynamic”) of"
                    f" form “{step['form']}”. Possible fields: {listed}.")
            if choice_names is not None and source["from"] not in choice_names:
                yield f"/steps/{name}/choices/{field}/from", "unknown_choice_list", _unknown(
                    "La liste de choix", "Choice list", source["from"], choice_names)


def _unknown(kind_fr: str, kind_en: str, name: str, known: Any) -> Message:
    listed = ", ".join(sorted(known)) or "—"
    return Message(f"{kind_fr} « {name} » n'existe pas. Connus : {listed}.",
                   f"{kind_en} “{name}” does not exist. Known: {listed}.")


def _check_references(wf: Mapping[str, Any], steps: Mapping[str, Any], forms: Mapping[str, Any],
                      contexts: Mapping[str, Any], rule_names: frozenset[str],
                      known: Mapping[str, frozenset[str]]) -> Iterator[Issue]:
    documents = wf.get("documents", {})
    if wf["start"] not in steps:
        yield "/start", "unknown_step", _unknown("L'étape", "Step", wf["start"], steps)
    for i, name in enumerate(wf.get("context", [])):
        if name not in contexts:
            yield f"/context/{i}", "unknown_context", _unknown(
                "Le contexte", "Context", name, known.get("contexts", contexts))
    for name, step in steps.items():
        here = f"/steps/{name}"
        review = step.get("review", False)
        if review and "form" in step:
            yield here, "review_with_form", Message(
                f"L'étape récapitulative « {name} » ne doit pas avoir de formulaire.",
                f"The review step “{name}” must not have a form.")
        if not review and "form" not in step:
            yield here, "step_without_form", Message(
                f"L'étape « {name} » n'a ni formulaire (« form ») ni « review: true ».",
                f"Step “{name}” has neither a form (“form”) nor “review: true”.")
        if "form" in step and step["form"] not in forms:
            yield f"{here}/form", "unknown_form", _unknown(
                "Le formulaire", "Form", step["form"], known.get("forms", forms))
        for i, call in enumerate(step.get("rules", [])):
            rule = call if isinstance(call, str) else call["name"]
            if rule not in rule_names:
                yield f"{here}/rules/{i}", "unknown_rule", _unknown(
                    "La règle", "Rule", rule, rule_names)
        for i, doc in enumerate(step.get("requires_opened", [])):
            if doc not in documents:
                yield f"{here}/requires_opened/{i}", "unknown_document", _unknown(
                    "Le document", "Document", doc, documents)
        for i, target in enumerate(targets(step)):
            if target["to"] not in steps:
                yield f"{here}/next/{i}/to" if isinstance(step["next"], list) else \
                    f"{here}/next", "unknown_step", _unknown("L'étape", "Step", target["to"], steps)
        listed = targets(step)
        if listed and "when" in listed[-1]:
            yield f"{here}/next", "next_without_default", Message(
                f"La dernière cible de « {name} » a une condition : ajoutez une cible sans"
                " « when » pour le cas où aucune condition n'est vraie.",
                f"The last target of “{name}” has a condition: add a target without “when” for"
                " when no condition holds.")
        if not review and not listed:
            yield here, "no_next", Message(
                f"L'étape « {name} » n'indique pas l'étape suivante (« next »).",
                f"Step “{name}” does not say which step comes next (“next”).")
        if review and listed:
            yield f"{here}/next", "review_with_next", Message(
                f"L'étape récapitulative « {name} » termine la démarche : retirez « next ».",
                f"The review step “{name}” ends the procedure: remove “next”.")


def _check_graph(wf: Mapping[str, Any], steps: Mapping[str, Any]) -> Iterator[Issue]:
    reviews = [n for n, s in steps.items() if s.get("review")]
    if len(reviews) != 1:
        yield "/steps", "review_step_count", Message(
            f"Une démarche doit avoir exactement une étape « review: true » (ici {len(reviews)}).",
            f"A procedure needs exactly one “review: true” step (here {len(reviews)}).")
    edges = {n: [t["to"] for t in targets(s) if t["to"] in steps] for n, s in steps.items()}
    reached = _reach(wf["start"], edges) if wf["start"] in steps else set()
    for name in steps:
        if name not in reached:
            yield f"/steps/{name}", "unreachable_step", Message(
                f"On ne peut jamais arriver à l'étape « {name} » depuis « {wf['start']} ».",
                f"Step “{name}” can never be reached from “{wf['start']}”.")
    for name in sorted(_on_cycles(edges)):
        yield f"/steps/{name}/next", "step_loop", Message(
            f"L'étape « {name} » peut revenir sur elle-même par « next » : une démarche avance"
            " toujours (le membre revient en arrière avec « Retour »).",
            f"Step “{name}” can lead back to itself through “next”: a procedure always moves"
            " forward (members go back with “Back”).")
    if len(reviews) == 1:
        for name in reached:
            if reviews[0] not in _reach(name, edges):
                yield f"/steps/{name}", "no_way_to_review", Message(
                    f"Depuis l'étape « {name} », on ne peut jamais arriver au récapitulatif"
                    f" « {reviews[0]} ».",
                    f"From step “{name}” the review “{reviews[0]}” can never be reached.")


def _on_cycles(edges: Mapping[str, list[str]]) -> set[str]:
    """Steps from which ``next`` can come back to themselves."""
    return {name for name in edges
            if any(name in _reach(nxt, edges) for nxt in edges[name])}


def _reach(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _check_lifecycle(life: Mapping[str, Any], documents: Mapping[str, Any]) -> Iterator[Issue]:
    states = life["states"]
    for name in states:
        if name in RESERVED_STATES:
            yield f"/lifecycle/states/{name}", "reserved_state", Message(
                f"« {name} » est un état réservé à la démarche du membre :"
                " choisissez un autre nom.",
                f"“{name}” is reserved for the member's own progress: choose another name.")
    for name, spec in states.items():
        yield from _check_templates(f"/lifecycle/states/{name}/notify",
                                    spec.get("notify") if "title" in spec else None)
        for i, doc in enumerate(spec.get("offers", []) if "title" in spec else []):
            if doc not in documents:
                yield f"/lifecycle/states/{name}/offers/{i}", "unknown_document", _unknown(
                    "Le document", "Document", doc, documents)
    listed = isinstance(life["initial"], list)
    for i, target in enumerate(initial_targets(life)):
        if target["to"] not in states:
            yield "/lifecycle/initial" + (f"/{i}/to" if listed else ""), "unknown_state", \
                _unknown("L'état", "State", target["to"], states)
    if listed and "when" in life["initial"][-1]:
        yield "/lifecycle/initial", "initial_without_default", Message(
            "La dernière cible de « initial » a une condition : ajoutez une cible sans « when »"
            " pour le cas où aucune condition n'est vraie.",
            "The last target of “initial” has a condition: add a target without “when” for when"
            " no condition holds.")
    for i, name in enumerate(life.get("member_can_amend_in", [])):
        if name not in states:
            yield f"/lifecycle/member_can_amend_in/{i}", "unknown_state", _unknown(
                "L'état", "State", name, states)
    seen: set[str] = set()
    for i, tr in enumerate(life["transitions"]):
        here = f"/lifecycle/transitions/{i}"
        if tr["name"] in seen:
            yield f"{here}/name", "duplicate_transition", Message(
                f"La transition « {tr['name']} » est définie deux fois.",
                f"Transition “{tr['name']}” is defined twice.")
        if tr["name"] in RESERVED_ACTIONS:
            yield f"{here}/name", "reserved_transition", Message(
                f"« {tr['name']} » est une action réservée au membre : choisissez un autre nom.",
                f"“{tr['name']}” is an action reserved for members: choose another name.")
        seen.add(tr["name"])
        sources = [tr["from"]] if isinstance(tr["from"], str) else tr["from"]
        for j, src in enumerate(sources):
            if src not in states:
                pointer = f"{here}/from" if isinstance(tr["from"], str) else f"{here}/from/{j}"
                yield pointer, "unknown_state", _unknown("L'état", "State", src, states)
        if tr["to"] not in states:
            yield f"{here}/to", "unknown_state", _unknown("L'état", "State", tr["to"], states)


def _check_templates(here: str, template: Mapping[str, Any] | None) -> Iterator[Issue]:
    """Every ``{name}`` of a message template is a known placeholder."""
    if template is None:
        return
    for part in ("subject", "body"):
        for lang in ("fr", "en"):
            for name in placeholders(template[part][lang]):
                if name not in PLACEHOLDERS:
                    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                    yield f"{here}/{part}/{lang}", "unknown_placeholder", Message(
                        f"« {{{name}}} » n'est pas une valeur connue ; valeurs possibles :"
                        f" {known}.",
                        f"“{{{name}}}” is not a known value; known values: {known}.")
