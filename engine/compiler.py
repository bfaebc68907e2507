"""Bundle -> :class:`Workflow`: semantic checks, conditions parsed and typed, validators and state
machines built. Everything a request needs is made here, once per workflow version.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from engine.bundle import Bundle
from engine.cataloguechecks import check_catalogue
from engine.definitions import (
    ChoiceSource,
    Document,
    Form,
    HostCheck,
    Lifecycle,
    MessageTemplate,
    Requirement,
    Shown,
    StaffTransition,
    Step,
    Target,
    Text,
    Workflow,
    text_of,
)
from engine.errors import ExpressionError, Message
from engine.expressions import Expression, compile_condition, compile_expression, compile_shown
from engine.formchecks import check_form
from engine.machine import build_machines
from engine.migrations import check_migration
from engine.validation import build_validator
from engine.workflowchecks import check_workflow, initial_targets, targets


@dataclass(frozen=True)
class Issue:
    """A problem found while compiling, located in one of the bundle's files."""

    kind: str  # "workflow", "form", "context" or "catalogue"
    name: str
    pointer: str
    code: str
    message: Message


def condition_env(bundle: Bundle) -> dict[str, Mapping[str, Any]]:
    """The names a condition may use: ``answers.<step>.<field>`` and each host context."""
    steps = bundle.workflow["steps"]
    answers = {name: bundle.forms[s["form"]]["schema"] for name, s in steps.items()
               if s.get("form") in bundle.forms}
    env: dict[str, Mapping[str, Any]] = {"answers": {"type": "object", "properties": answers}}
    for name in bundle.workflow.get("context", []):
        if name in bundle.contexts:
            env[name] = bundle.contexts[name]["schema"]
    return env


def check_forms(forms: Mapping[str, Mapping[str, Any]]) -> Iterator[Issue]:
    for name, form in forms.items():
        for pointer, code, message in check_form(form):
            yield Issue("form", name, pointer, code, message)


def check_catalogues(catalogues: Mapping[str, Mapping[str, Any]]) -> Iterator[Issue]:
    for name, catalogue in catalogues.items():
        for pointer, code, message in check_catalogue(catalogue):
            yield Issue("catalogue", name, pointer, code, message)


def compile_bundle(bundle: Bundle, rule_names: frozenset[str], check_own_forms: bool = True,
                   known: Mapping[str, frozenset[str]] | None = None,
                   choice_names: frozenset[str] | None = None) -> \
        tuple[Workflow | None, list[Issue]]:
    """Compile one workflow version, or say everything that is wrong with it. ``choice_names``
    are the registered choice lists (default: ``rules.choice_list_names()``)."""
    if choice_names is None:
        from rules import choice_list_names

        choice_names = choice_list_names()
    wf, wid = bundle.workflow, str(bundle.workflow["workflow"])
    issues = [Issue("workflow", wid, p, c, m) for p, c, m in
              check_workflow(wf, bundle.forms, bundle.contexts, rule_names, known,
                             bundle.catalogues, choice_names)]
    issues.extend(Issue("workflow", wid, p, c, m) for p, c, m in
                  check_migration(wf, bundle.forms))
    if check_own_forms:
        issues.extend(check_forms(bundle.forms))
        issues.extend(check_catalogues(bundle.catalogues))
    issues.extend(_check_form_documents(bundle))
    conditions = _compile_conditions(bundle, issues)
    if issues:
        return None, issues
    return _build(bundle, conditions), []


def _check_form_documents(bundle: Bundle) -> Iterator[Issue]:
    documents = bundle.workflow.get("documents", {})
    for step_name, step in bundle.workflow["steps"].items():
        form = bundle.forms.get(step.get("form", ""))
        for doc in _documents_of(form["fields"] if form else {}):
            if doc not in documents:
                yield Issue("workflow", str(bundle.workflow["workflow"]),
                            f"/steps/{step_name}/form", "unknown_document", Message(
                                f"Le formulaire « {step['form']} » renvoie au document « {doc} »,"
                                " absent de « documents » de cette démarche.",
                                f"Form “{step['form']}” links to document “{doc}”, missing from"
                                " this procedure's “documents”."))


def _documents_of(fields: Mapping[str, Any]) -> Iterator[str]:
    for field in fields.values():
        if "document" in field:
            yield field["document"]
        yield from _documents_of(field.get("items", {}))


def _compile_conditions(bundle: Bundle, issues: list[Issue]) -> dict[str, Expression]:
    env = condition_env(bundle)
    before_start = {k: v for k, v in env.items() if k != "answers"}  # no answers exist yet
    wid = str(bundle.workflow["workflow"])
    found: dict[str, Expression] = {}
    for pointer, text in _conditions(bundle.workflow):
        try:
            found[pointer] = compile_condition(
                text, before_start if pointer.startswith("/availability") else env)
        except ExpressionError as error:
            issues.append(Issue("workflow", wid, pointer, error.code, error.message))
    answers_only = {"answers": env["answers"]}  # what a produced document may read
    values = list(_values(bundle.workflow))
    if "one_per" in bundle.workflow:
        values.append(("/one_per", bundle.workflow["one_per"]))
    if "unique_per" in bundle.workflow:  # read at submission: answers and contexts
        values.append(("/unique_per", bundle.workflow["unique_per"]))
    for pointer, text in values:
        shown = "/shows/" in pointer
        scope = before_start if pointer == "/one_per" else \
            answers_only if pointer.startswith("/lifecycle/transitions/") else env
        try:
            found[pointer] = (compile_shown if shown else compile_expression)(text, scope)
        except ExpressionError as error:
            issues.append(Issue("workflow", wid, pointer, error.code, error.message))
    return found


def _values(wf: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The expressions that may give any value: shown data, choice-list and producer
    parameters."""
    for name, step in wf["steps"].items():
        for i, shown in enumerate(step.get("shows", [])):
            yield f"/steps/{name}/shows/{i}/value", shown["value"]
        for key in ("choices", "prefill"):
            for field, source in step.get(key, {}).items():
                for param, text in source.get("with", {}).items():
                    yield f"/steps/{name}/{key}/{field}/with/{param}", text
        for i, call in enumerate(step.get("rules", [])):
            for param, text in (call.get("with", {}) if isinstance(call, dict) else {}).items():
                yield f"/steps/{name}/rules/{i}/with/{param}", text
    for i, tr in enumerate(wf["lifecycle"]["transitions"]):
        for param, text in tr.get("produces", {}).get("with", {}).items():
            yield f"/lifecycle/transitions/{i}/produces/with/{param}", text


def _conditions(wf: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for i, req in enumerate(wf.get("availability", [])):
        yield f"/availability/{i}/when", req["when"]
    for name, step in wf["steps"].items():
        if "skip_unless" in step:
            yield f"/steps/{name}/skip_unless", step["skip_unless"]
        if isinstance(step.get("next"), list):
            for i, target in enumerate(step["next"]):
                if "when" in target:
                    yield f"/steps/{name}/next/{i}/when", target["when"]
    if isinstance(wf["lifecycle"]["initial"], list):
        for i, target in enumerate(wf["lifecycle"]["initial"]):
            if "when" in target:
                yield f"/lifecycle/initial/{i}/when", target["when"]


def _text(raw: Mapping[str, str]) -> Text:
    found = text_of(raw)
    assert found is not None
    return found


def _build(bundle: Bundle, conditions: Mapping[str, Expression]) -> Workflow:
    wf = bundle.workflow
    forms = {name: Form(name=name, title=_text(f["title"]), help=text_of(f.get("help")),
                        schema=f["schema"], fields=f["fields"],
                        validator=build_validator(f["schema"]))
             for name, f in bundle.forms.items()}
    steps: dict[str, Step] = {}
    for name, raw in wf["steps"].items():
        form = forms.get(raw.get("form", ""))
        title = text_of(raw.get("title")) or (form.title if form else Text(name, name))
        nexts = tuple(Target(t["to"], conditions.get(f"/steps/{name}/next/{i}/when"))
                      for i, t in enumerate(targets(raw)))
        steps[name] = Step(name=name, title=title, form=raw.get("form"),
                           review=bool(raw.get("review", False)), next=nexts,
                           skip_unless=conditions.get(f"/steps/{name}/skip_unless"),
                           rules=tuple(rule_name(call) for call in raw.get("rules", ())),
                           rule_params=MappingProxyType({
                               rule_name(call): MappingProxyType({
                                   p: conditions[f"/steps/{name}/rules/{i}/with/{p}"]
                                   for p in call.get("with", {})})
                               for i, call in enumerate(raw.get("rules", ()))
                               if isinstance(call, dict)}),
                           prefill=_sources(raw, "prefill", name, conditions),
                           requires_opened=tuple(raw.get("requires_opened", ())),
                           choices=_sources(raw, "choices", name, conditions),
                           shows=tuple(Shown(_text(s["label"]),
                                             conditions[f"/steps/{name}/shows/{i}/value"])
                                       for i, s in enumerate(raw.get("shows", []))),
                           checks=tuple(HostCheck(c["name"], MappingProxyType({
                               code: _text(text) for code, text in c["messages"].items()}))
                               for c in raw.get("checks", [])))
    lifecycle = _lifecycle(wf["lifecycle"], conditions)
    return Workflow(
        id=wf["workflow"], version=int(wf["version"]), title=_text(wf["title"]),
        description=text_of(wf.get("description")), audience=wf["audience"],
        service=wf.get("service"), context=tuple(wf.get("context", ())),
        receipt_prefix=wf.get("receipt_prefix", "D"),
        availability=tuple(Requirement(conditions[f"/availability/{i}/when"], r["code"],
                                       _text(r["message"]))
                           for i, r in enumerate(wf.get("availability", []))),
        documents=MappingProxyType({k: Document(k, _text(d["title"]), _text(d["body"]))
                                    for k, d in wf.get("documents", {}).items()}),
        start=wf["start"], steps=MappingProxyType(steps), forms=MappingProxyType(forms),
        messages=MappingProxyType({k: _text(v) for k, v in wf.get("messages", {}).items()}),
        lifecycle=lifecycle, digest=bundle.digest, one_per=conditions.get("/one_per"),
        subject=wf.get("subject"), unique_per=conditions.get("/unique_per"),
        machines=build_machines(steps, lifecycle),
        catalogues=MappingProxyType({name: tuple(c["entries"])
                                     for name, c in bundle.catalogues.items()
                                     if name in wf.get("catalogues", ())}))


def rule_name(call: str | Mapping[str, Any]) -> str:
    """A step's rule is written as its name, or ``{name: ..., with: {...}}``."""
    return call if isinstance(call, str) else str(call["name"])


def _sources(raw: Mapping[str, Any], key: str, step: str,
             conditions: Mapping[str, Expression]) -> Mapping[str, ChoiceSource]:
    """``choices`` or ``prefill`` of a step: by field, a named source and its parameters."""
    return MappingProxyType({
        field: ChoiceSource(source["from"], MappingProxyType({
            p: conditions[f"/steps/{step}/{key}/{field}/with/{p}"]
            for p in source.get("with", {})}))
        for field, source in raw.get(key, {}).items()})


def _lifecycle(life: Mapping[str, Any], conditions: Mapping[str, Expression]) -> Lifecycle:
    """A state is a title (short form) or ``{title, notice?, notify?, offers?}``."""
    states = {k: v if "title" in v else {"title": v} for k, v in life["states"].items()}
    entries = tuple(Target(t["to"], conditions.get(f"/lifecycle/initial/{i}/when"))
                    for i, t in enumerate(initial_targets(life)))
    return Lifecycle(
        initial=entries[-1].to,
        initial_targets=entries if isinstance(life["initial"], list) else (),
        offers=MappingProxyType({k: tuple(v["offers"]) for k, v in states.items()
                                 if v.get("offers")}),
        states=MappingProxyType({k: _text(v["title"]) for k, v in states.items()}),
        transitions=tuple(StaffTransition(
            name=t["name"], sources=(t["from"],) if isinstance(t["from"], str) else
            tuple(t["from"]), dest=t["to"], role=t["role"], title=_text(t["title"]),
            reason=bool(t.get("reason", False)), form=t.get("form"),
            produces=t["produces"]["name"] if "produces" in t else None,
            produce_params=MappingProxyType({
                p: conditions[f"/lifecycle/transitions/{i}/produces/with/{p}"]
                for p in t.get("produces", {}).get("with", {})}))
            for i, t in enumerate(life["transitions"])),
        member_can_amend_in=frozenset(life.get("member_can_amend_in", ())),
        notices=MappingProxyType({k: _text(v["notice"]) for k, v in states.items()
                                  if "notice" in v}),
        notify=MappingProxyType({k: MessageTemplate(_text(v["notify"]["subject"]),
                                                    _text(v["notify"]["body"]))
                                 for k, v in states.items() if "notify" in v}))
