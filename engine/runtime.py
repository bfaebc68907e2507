"""Running a submission: pure functions from (definition, state, input) to a new state.

Nothing here stores, sends or renders. Each call returns an :class:`Outcome`: the new state, the
name of the event for the log, and the effects the web layer must carry out in the same
transaction (a receipt to number, for instance).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.definitions import Requirement, Step, Text, Workflow
from engine.errors import EngineError, FieldError, Message
from engine.machine import CANCELLED, DRAFT, TransitionRefused
from engine.state import Answers, Labels, SubmissionState
from engine.validation import normalise, validate_step
from rules import Choice, ChoiceInput, RuleInput, get_choice_list, get_rule


@dataclass(frozen=True)
class Context:
    """What the host knows, by context name (``campaign``, ``household``...), and today's date."""

    values: Mapping[str, Any]
    today: date


@dataclass(frozen=True)
class Effect:
    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    state: SubmissionState
    event: str
    effects: tuple[Effect, ...] = ()


class ActionRefused(EngineError):
    """The member or staff asked for something the submission's state does not allow."""


class NotAvailable(ActionRefused):
    """The procedure is closed to this person now; ``message`` is the procedure's own."""


class StepInvalid(EngineError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("invalid_step_data", Message(
            "Certaines réponses sont à corriger.", "Some answers need correcting."))
        self.errors = errors


def _refused(code: str, fr: str, en: str) -> ActionRefused:
    return ActionRefused(code, Message(fr, en))


def values_of(data: Answers, context: Context) -> dict[str, Any]:
    return {**context.values, "answers": data}


def unavailable(wf: Workflow, context: Context) -> Requirement | None:
    """The first availability requirement that fails, or None when the procedure is open."""
    values = values_of({}, context)
    return next((r for r in wf.availability if not r.when.test(values)), None)


def unique_value(wf: Workflow, answers: Answers, context: Context) -> str:
    """The value of ``unique_per`` on these answers ("" without ``unique_per`` or when empty):
    the web layer keys the submission with it, per subject (or owner)."""
    if wf.unique_per is None:
        return ""
    value = wf.unique_per.evaluate(values_of(answers, context))
    return "" if value is None else str(value)


def prefill_params(wf: Workflow, state: SubmissionState, step_name: str,
                   context: Context) -> dict[str, dict[str, Any]]:
    """For each pre-filled field of the step: its source's parameters, on the answers so far
    (the web layer asks the source; the engine never reads host data itself)."""
    values = values_of(state.data, context)
    return {field: {p: e.evaluate(values) for p, e in source.params.items()}
            for field, source in wf.steps[step_name].prefill.items()}


def scope_of(wf: Workflow, context: Context) -> str:
    """What makes a submission unique for its owner (``one_per``), "" when anything goes."""
    if wf.one_per is None:
        return ""
    value = wf.one_per.evaluate(values_of({}, context))
    return "" if value is None else str(value)


def start(wf: Workflow, context: Context) -> Outcome:
    failed = unavailable(wf, context)
    if failed is not None:
        raise NotAvailable(failed.code, failed.message)
    return Outcome(SubmissionState(workflow=wf.id, version=wf.version, step=wf.start), "started")


def skipped(step: Step, values: Mapping[str, Any]) -> bool:
    return step.skip_unless is not None and not step.skip_unless.test(values)


def path(wf: Workflow, data: Answers, context: Context) -> list[str]:
    """The steps the member goes through with these answers, up to the first unanswered one or
    the review. Skipped steps are walked through but not listed."""
    values = values_of(data, context)
    found: list[str] = []
    name = wf.start
    for _ in range(len(wf.steps) + 1):
        step = wf.steps[name]
        if not skipped(step, values):
            found.append(name)
            if step.review or name not in data:
                return found
        name = wf.machines.next_step(name, values)
    raise RuntimeError("a checked workflow cannot loop")  # checks refuse such definitions


def planned_path(wf: Workflow, data: Answers, context: Context) -> list[str]:
    """The steps the member is expected to go through, for a progress indicator: the answered
    part as :func:`path` finds it, then, from the first unanswered step, each step's default way
    on (its ``next`` without condition). Decisions always use :func:`path`."""
    values = values_of(data, context)
    found: list[str] = []
    name = wf.start
    for _ in range(len(wf.steps) + 1):
        step = wf.steps[name]
        if not skipped(step, values):
            found.append(name)
            if step.review:
                return found
        if name in data:
            name = wf.machines.next_step(name, values)
        else:
            default = next((t.to for t in step.next if t.when is None), None)
            if default is None:
                return found
            name = default
    raise RuntimeError("a checked workflow cannot loop")


def _editable(wf: Workflow, state: SubmissionState) -> None:
    if state.status == DRAFT:
        return
    if state.editing and state.status in wf.lifecycle.member_can_amend_in:
        return
    if state.status in wf.lifecycle.member_can_amend_in:
        raise _refused("amend_first", "Pour modifier votre démarche, choisissez d'abord"
                       " « Modifier ».", "To change your procedure, choose “Amend” first.")
    if state.status in wf.lifecycle.states:
        raise ActionRefused("not_amendable", wf.message("not_amendable", Message(
            "Votre démarche a déjà été traitée : pour la modifier, contactez le service.",
            "Your procedure has already been processed: to change it, contact the service.")))
    raise _refused("not_editable", "Cette démarche n'est plus modifiable.",
                   "This procedure can no longer be changed.")


def choices(wf: Workflow, state: SubmissionState, step_name: str,
            context: Context) -> dict[str, list[Choice]]:
    """The choices of each dynamic-choice field of a step, by field: its choice list run with its
    parameters evaluated on the current answers and host data, and the workflow's catalogues."""
    step = wf.steps[step_name]
    values = values_of(state.data, context)
    return {key: get_choice_list(source.name)(ChoiceInput(
                params={p: e.evaluate(values) for p, e in source.params.items()},
                context=context.values, catalogues=wf.catalogues, today=context.today))
            for key, source in step.choices.items()}


def shown(wf: Workflow, state: SubmissionState, step_name: str,
          context: Context) -> list[tuple[Text, Any]]:
    """What the step shows above its form (``shows``): each label with its value, evaluated on
    the current answers and host data (a text, a number, a date text, a list of texts or None)."""
    values = values_of(state.data, context)
    return [(item.label, item.value.evaluate(values)) for item in wf.steps[step_name].shows]


def _not_choices(wf: Workflow, state: SubmissionState, name: str, data: Any, context: Context,
                 errors: list[FieldError]) -> list[FieldError]:
    """``not_a_choice`` for each dynamic-choice value that is not one of the computed ones."""
    form = wf.form_of(name)
    if form is None or not wf.steps[name].choices or not isinstance(data, Mapping):
        return []
    found = []
    wrong = {e.path for e in errors}
    for key, offered in choices(wf, state, name, context).items():
        value = data.get(key)
        if value is None or f"/{key}" in wrong or any(c.value == value for c in offered):
            continue
        label = form.fields[key]["label"]
        found.append(FieldError(f"/{key}", "not_a_choice", Message(
            f"« {label['fr']} » : ce choix n'est pas possible.",
            f"“{label['en']}”: this choice is not possible.")))
    return found


def labels_of(wf: Workflow, state: SubmissionState, name: str, data: Any,
              context: Context) -> dict[str, dict[str, str]]:
    """The ``fr``/``en`` labels of the choices ``data`` makes in the step's dynamic fields."""
    if not wf.steps[name].choices or not isinstance(data, Mapping):
        return {}
    found = {}
    for key, offered in choices(wf, state, name, context).items():
        chosen = next((c for c in offered if c.value == data.get(key)), None)
        if chosen is not None:
            found[key] = {"fr": chosen.fr, "en": chosen.en}
    return found


def _kept_labels(labels: Labels, data: Answers, before: Answers) -> dict[str, Any]:
    """The labels still right once ``data`` goes back to ``before`` (an amendment dropped): a
    field whose value changed loses its label (the value is shown as is)."""
    return {step: {f: lab for f, lab in fields.items()
                   if step in before and step in data
                   and before[step].get(f) == data[step].get(f)}
            for step, fields in labels.items() if step in before}


def check_step(wf: Workflow, state: SubmissionState, name: str, data: Any,
               context: Context) -> list[FieldError]:
    """Every error in ``data`` for step ``name``: its form's schema, the computed choices,
    documents, then its rules."""
    step = wf.steps[name]
    form = wf.form_of(name)
    if form is None:
        return []
    errors = validate_step(form.validator, form.fields, data)
    errors.extend(_not_choices(wf, state, name, data, context, errors))
    for doc in step.requires_opened:
        if doc not in state.opened:
            title = wf.documents[doc].title
            errors.append(FieldError(_field_linking(form.fields, doc), "document_not_opened",
                                     Message(f"Vous devez d'abord ouvrir et lire « {title.fr} ».",
                                             f"You must first open and read “{title.en}”.")))
    if errors:
        return errors
    answers = {**state.data, name: data}
    values = values_of(answers, context)
    for rule_name in step.rules:
        params = {p: e.evaluate(values) for p, e in step.rule_params.get(rule_name, {}).items()}
        for err in get_rule(rule_name)(RuleInput(data, answers, context.values, context.today,
                                                 params)):
            errors.append(FieldError(err.path, err.code, Message(err.fr, err.en), err.params))
    return errors


def _field_linking(fields: Mapping[str, Any], doc: str) -> str:
    return next((f"/{n}" for n, f in fields.items() if f.get("document") == doc), "")


def answer(wf: Workflow, state: SubmissionState, name: str, data: Any,
           context: Context) -> Outcome:
    _editable(wf, state)
    current_path = path(wf, state.data, context)
    if name not in wf.steps or name not in current_path or wf.steps[name].review:
        title = wf.steps[name].title if name in wf.steps else Message(name, name)
        raise _refused("step_not_open",
                       f"L'étape « {title.fr} » ne peut pas être remplie maintenant.",
                       f"Step “{title.en}” cannot be answered now.")
    data = normalise(data)
    errors = check_step(wf, state, name, data, context)
    if errors:
        raise StepInvalid(errors)
    answers = {**state.data, name: data}
    new_path = path(wf, answers, context)
    after = new_path[new_path.index(name) + 1:]
    if state.reached_review or not after:
        following = new_path[-1]
    else:
        following = after[0]
    reached = state.reached_review or wf.steps[following].review
    labels = {k: v for k, v in state.labels.items() if k != name}
    chosen = labels_of(wf, state, name, data, context)
    if chosen:
        labels[name] = chosen
    return Outcome(state.evolve(data=answers, step=following, reached_review=reached,
                                labels=labels),
                   "step_answered", (Effect("answered", {"step": name}),
                                     *_host_checks(wf, (name,), answers)))


def back(wf: Workflow, state: SubmissionState, context: Context) -> Outcome:
    _editable(wf, state)
    current_path = path(wf, state.data, context)
    here = state.step if state.step in current_path else current_path[-1]
    index = current_path.index(here)
    if index == 0:
        raise _refused("no_previous_step", "Vous êtes à la première étape.",
                       "You are at the first step.")
    return Outcome(state.evolve(step=current_path[index - 1]), "went_back")


def open_document(wf: Workflow, state: SubmissionState, name: str) -> Outcome:
    if name not in wf.documents:
        raise _refused("unknown_document", "Ce document n'existe pas.",
                       "This document does not exist.")
    _editable(wf, state)  # opening is part of filling in: a sent or decided one is not reopened
    opened = state.opened if name in state.opened else (*state.opened, name)
    return Outcome(state.evolve(opened=opened), "document_opened",
                   (Effect("opened", {"doc": name}),))


def cancel(wf: Workflow, state: SubmissionState) -> Outcome:
    if state.editing:
        before = state.submitted or {}
        return Outcome(state.evolve(editing=False, data=before, step=None,
                                    labels=_kept_labels(state.labels, state.data, before)),
                       "amendment_cancelled")
    if state.status != DRAFT:
        raise _refused("not_cancellable", "Cette démarche ne peut plus être annulée.",
                       "This procedure can no longer be cancelled.")
    return Outcome(state.evolve(status=wf.machines.move_status(state.status, "cancel"),
                                step=None), "cancelled")


def submit(wf: Workflow, state: SubmissionState, context: Context) -> Outcome:
    if state.status != DRAFT and not state.editing:
        code = "already_cancelled" if state.status == CANCELLED else "already_submitted"
        raise _refused(code, "Cette démarche a déjà été transmise ou annulée.",
                       "This procedure has already been submitted or cancelled.")
    _editable(wf, state)
    failed = unavailable(wf, context)
    if failed is not None:  # e.g. the campaign closed while the draft waited
        raise NotAvailable(failed.code, failed.message)
    final = path(wf, state.data, context)
    if not wf.steps[final[-1]].review or state.step != final[-1]:
        raise _refused("not_ready", "Vérifiez vos réponses sur le récapitulatif avant de valider.",
                       "Check your answers on the summary before submitting.")
    errors = [FieldError(f"/{name}{e.path}", e.code, e.message, e.params) for name in final
              for e in check_step(wf, state, name, state.data.get(name, {}), context)]
    if errors:
        raise StepInvalid(errors)
    snapshot = {name: state.data[name] for name in final if name in state.data}
    labels = {k: v for k, v in state.labels.items() if k in snapshot}
    if state.editing:
        new = state.evolve(editing=False, submitted=snapshot, data=snapshot, labels=labels)
        return Outcome(new, "amended", (*_host_checks(wf, final, snapshot),
                                        Effect("receipt", {"amended": True})))
    status = wf.machines.move_status(state.status, "submit", values_of(snapshot, context))
    new = state.evolve(status=status, submitted=snapshot, data=snapshot, labels=labels)
    unique = unique_value(wf, snapshot, context)
    return Outcome(new, "submitted", (*_host_checks(wf, final, snapshot),
                                      *((Effect("unique", {"value": unique}),) if unique else ()),
                                      Effect("receipt", {"amended": False})))


def _host_checks(wf: Workflow, names: tuple[str, ...] | list[str],
                 answers: Answers) -> tuple[Effect, ...]:
    """One ``host_check`` effect per step (of ``names``) that declares ``checks``: the web layer
    runs them on the step's answers before keeping anything (first in the effects)."""
    return tuple(Effect("host_check", {"step": name,
                                       "checks": [c.name for c in wf.steps[name].checks],
                                       "data": answers.get(name, {})})
                 for name in names if wf.steps[name].checks)


def host_check_failed(wf: Workflow, step: str, check: str, code: str,
                      submitting: bool = False) -> StepInvalid:
    """The refusal of a step whose host check answered ``code``: the step's own message for it
    (checked at load by the web layer), at the step (``/<step>`` when submitting)."""
    found = next((c for c in wf.steps[step].checks if c.name == check), None)
    message = found.messages.get(code) if found else None
    if message is None:
        message = Message("Votre demande ne peut pas être acceptée.",
                          "Your request cannot be accepted.")
    return StepInvalid([FieldError(f"/{step}" if submitting else "", code, message)])


def amend(wf: Workflow, state: SubmissionState) -> Outcome:
    if state.editing and state.status in wf.lifecycle.member_can_amend_in:
        return Outcome(state, "amend_resumed")
    if state.status not in wf.lifecycle.member_can_amend_in:
        _editable(wf, state)  # raises the procedure's own "not amendable" message
        raise _refused("not_submitted", "Seule une démarche transmise peut être modifiée.",
                       "Only a submitted procedure can be amended.")
    wf.machines.move_status(state.status, "amend")
    review = wf.review_step
    return Outcome(state.evolve(editing=True, step=review, reached_review=True,
                                data=state.submitted or state.data), "amend_started")


def staff_transition(wf: Workflow, state: SubmissionState, name: str,
                     roles: frozenset[str], reason: str | None = None,
                     data: Any = None, on: date | None = None) -> Outcome:
    """Fire a lifecycle transition for staff holding ``roles``. A transition declared with
    ``reason: true`` needs a non-blank ``reason``. The outcome's ``changed`` effect says from
    which state to which, with the reason; ``produce`` follows when the transition ``produces``
    something (its name and parameters, evaluated on the submitted answers); ``notify`` is added
    when the workflow announces the new state to the member."""
    found = wf.lifecycle.transition(name)
    if found is None:
        raise _refused("unknown_transition", f"L'action « {name} » n'existe pas.",
                       f"Action “{name}” does not exist.")
    if found.role not in roles:
        raise _refused("role_required", f"Cette action est réservée au rôle « {found.role} ».",
                       f"This action is reserved to the “{found.role}” role.")
    try:
        status = wf.machines.move_status(state.status, name)
    except TransitionRefused as error:
        raise _refused("transition_not_allowed",
                       f"L'action « {found.title.fr} » n'est pas possible dans cet état.",
                       f"Action “{found.title.en}” is not possible in this state.") from error
    reason = (reason or "").strip()
    if found.reason and not reason:
        raise _refused("reason_required",
                       f"Indiquez le motif de l'action « {found.title.fr} ».",
                       f"Give the reason for the action “{found.title.en}”.")
    new = state.evolve(status=status)
    if found.form is not None:  # staff fill in the transition's form: kept in ``records``
        form = wf.forms[found.form]
        data = normalise(data if data is not None else {})
        errors = validate_step(form.validator, form.fields, data)
        if errors:
            raise StepInvalid(errors)
        record = {"transition": name, "on": on.isoformat() if on else None, "data": data}
        new = new.evolve(records=(*state.records, record))
    if state.editing and status not in wf.lifecycle.member_can_amend_in:
        before = state.submitted or {}
        new = new.evolve(editing=False, data=before, step=None,
                         labels=_kept_labels(state.labels, state.data, before))
    effects = [Effect("changed", {"from": state.status, "to": status, "transition": name,
                                  "comment": reason})]
    if found.produces is not None:
        answers = {"answers": state.submitted if state.submitted is not None else state.data}
        effects.append(Effect("produce", {"name": found.produces, "params": {
            p: e.evaluate(answers) for p, e in found.produce_params.items()}}))
    if status in wf.lifecycle.notify:
        effects.append(Effect("notify", {"state": status, "comment": reason}))
    return Outcome(new, f"staff:{name}", tuple(effects))


def member_actions(wf: Workflow, state: SubmissionState) -> list[str]:
    """What the member may do now, for the API's ``actions`` and the pages' buttons."""
    if state.status == DRAFT or (state.editing and
                                 state.status in wf.lifecycle.member_can_amend_in):
        actions = ["answer", "cancel"]
        if state.step != wf.start:
            actions.append("back")
        if state.step is not None and wf.steps[state.step].review:
            actions.append("submit")
        return actions
    if state.status in wf.lifecycle.member_can_amend_in:
        return ["amend"]
    return []
