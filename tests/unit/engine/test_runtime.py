"""engine.runtime on the resource declaration (ref 002), without the web: every branch of the walk,
back / cancel / submit / amend, the staff lifecycle, availability, and the saved state.

Every move goes through :class:`Walker`, which saves the state as JSON and reloads it before the
move (as SpiffWorkflow's tests do) and checks that the reloaded state is equal and that the same
move on it gives the same outcome or the same refusal (SECURITY AC-05: order and state are enforced
on the server, whatever was stored in between).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.definitions import Workflow
from engine.errors import EngineError
from engine.loading import load_definitions
from engine.runtime import (
    ActionRefused,
    Context,
    Effect,
    NotAvailable,
    Outcome,
    StepInvalid,
    amend,
    answer,
    back,
    cancel,
    member_actions,
    open_document,
    path,
    scope_of,
    staff_transition,
    start,
    submit,
    unavailable,
)
from engine.state import STATE_FORMAT, SubmissionState

TODAY = date(2026, 11, 23)
STAFF = frozenset({"immatriculation"})

TERMS = {"accepted": True}
NONE = {"code": "none"}
PENSIONS = {"incomes": [
    {"category": "basic_pension", "amount": "18000", "months": 12},
    {"category": "complementary_pension", "amount": "6250,40", "months": 12},
], "total_months": 12}
SPOUSE_INCOME = {"incomes": [{"category": "salary", "amount": "31000.5", "months": 7}],
                 "total_months": 7}
REMARKS = {"text": "Retraité depuis le 1er mars 2012."}
CHILDREN = {"count": 1, "children": [
    {"first_name": "Léa", "birth_date": "2012-03-01", "regime": "csm"}]}
ANSWERS: dict[str, dict[str, Any]] = {
    "terms": TERMS, "situation": NONE, "income_declarant": PENSIONS,
    "income_spouse": SPOUSE_INCOME, "observations": REMARKS, "children": CHILDREN}

FULL = ["terms", "situation", "income_declarant", "income_spouse", "observations", "children",
        "summary"]
SPECIAL_SITUATIONS = ["no_longer_resident", "other_scheme", "income_paid_by_fund"]

NOT_RECIPIENT_FR = ("Nous disposons de l'ensemble des informations nous permettant de déterminer "
                    "votre couleur de carte.")
CLOSED_FR = ("Ce téléservice n'est actif que pendant la période de l'enquête annuelle (en général "
             "de novembre à février). Pour toute information, contactez le Service "
             "Immatriculation.")
NOT_AMENDABLE_FR = ("Votre déclaration a déjà été prise en compte par le Service Immatriculation "
                    "et ne peut plus être modifiée. Pour toute modification, contactez le Service "
                    "Immatriculation.")
NOT_AMENDABLE_EN = ("Your declaration has already been taken into account by the Registration "
                    "Department and can no longer be changed. To change it, contact the "
                    "Registration Department.")


@pytest.fixture(scope="module")
def wf() -> Workflow:
    result = load_definitions(str(Path(__file__).resolve().parents[3]))
    assert result.report.problems == []
    return result.current()["resource_declaration"]


def context(*, spouse: bool = False, children: bool = False, open_: bool = True,
            recipient: bool = True) -> Context:
    return Context({
        "campaign": {"year": 2025, "open": open_, "recipient": recipient,
                     "children_section": children, "reference_date": "2026-01-01",
                     "opens_on": "2026-11-01", "closes_on": "2027-02-28"},
        "household": {"has_spouse": spouse, "declarant_name": "Alain Dupont",
                      "spouse_name": "Claire Dupont" if spouse else None},
    }, TODAY)


def expected_path(*, spouse: bool, children: bool) -> list[str]:
    return [s for s in FULL if (spouse or s != "income_spouse") and (children or s != "children")]


def reload(state: SubmissionState) -> SubmissionState:
    return SubmissionState.from_json(json.loads(json.dumps(state.to_json())))


class Walker:
    """One member's submission, moved only through the engine's pure functions."""

    def __init__(self, wf: Workflow, ctx: Context) -> None:
        self.wf, self.ctx = wf, ctx
        self.events: list[str] = []
        self.state = self._do(lambda _: start(wf, ctx), None)

    def _do(self, move: Callable[[SubmissionState], Outcome],
            state: SubmissionState | None) -> SubmissionState:
        """Save and reload ``state``, then check the move behaves the same on both copies."""
        loaded = None if state is None else reload(state)
        assert loaded == state
        try:
            outcome = move(state)  # type: ignore[arg-type]
        except EngineError as error:
            with pytest.raises(type(error)) as again:
                move(loaded)  # type: ignore[arg-type]
            assert again.value.code == error.code
            assert again.value.message == error.message
            raise
        assert move(loaded) == outcome  # type: ignore[arg-type]
        self.outcome = outcome
        self.events.append(outcome.event)
        return outcome.state

    def move(self, fn: Callable[[SubmissionState], Outcome]) -> Outcome:
        self.state = self._do(fn, self.state)
        return self.outcome

    def open(self, doc: str = "cgu") -> Outcome:
        return self.move(lambda s: open_document(self.wf, s, doc))

    def answer(self, name: str, data: Any = None) -> Outcome:
        given = ANSWERS[name] if data is None else data
        return self.move(lambda s: answer(self.wf, s, name, given, self.ctx))

    def back(self) -> Outcome:
        return self.move(lambda s: back(self.wf, s, self.ctx))

    def cancel(self) -> Outcome:
        return self.move(lambda s: cancel(self.wf, s))

    def submit(self) -> Outcome:
        return self.move(lambda s: submit(self.wf, s, self.ctx))

    def amend(self) -> Outcome:
        return self.move(lambda s: amend(self.wf, s))

    def staff(self, name: str, roles: frozenset[str] = STAFF,
              reason: str = "Bulletins de salaire manquants") -> Outcome:
        return self.move(lambda s: staff_transition(self.wf, s, name, roles, reason))

    def path(self) -> list[str]:
        return path(self.wf, self.state.data, self.ctx)

    def walk_to(self, target: str, situation: str = "none") -> None:
        """Answer each step from the start until ``target`` is the current step."""
        if "cgu" not in self.state.opened:
            self.open()
        while self.state.step != target:
            name = self.state.step
            assert name is not None and not self.wf.steps[name].review, f"{target} never reached"
            self.answer(name, {"code": situation} if name == "situation" else None)


def refused(code: str, fn: Callable[[], object]) -> ActionRefused:
    with pytest.raises(ActionRefused) as caught:
        fn()
    assert caught.value.code == code
    return caught.value


# --- the branches -----------------------------------------------------------------------------

BRANCHES = [
    pytest.param(True, True, id="spouse, children section"),
    pytest.param(True, False, id="spouse, no children section"),
    pytest.param(False, True, id="no spouse, children section"),
    pytest.param(False, False, id="no spouse, no children section"),
]


@pytest.mark.parametrize(("spouse", "children"), BRANCHES)
def test_each_household_walks_its_own_steps_to_the_summary(wf: Workflow, spouse: bool,
                                                            children: bool) -> None:
    expected = expected_path(spouse=spouse, children=children)
    w = Walker(wf, context(spouse=spouse, children=children))
    assert w.state.step == "terms" and w.state.status == "draft"
    w.open()
    for here, following in zip(expected, expected[1:], strict=False):
        assert w.state.step == here
        outcome = w.answer(here)
        assert outcome.event == "step_answered"
        assert outcome.effects == (Effect("answered", {"step": here}),)
        assert w.state.step == following
    assert w.state.reached_review
    assert w.path() == expected
    assert member_actions(wf, w.state) == ["answer", "cancel", "back", "submit"]

    outcome = w.submit()
    assert outcome.event == "submitted"
    assert outcome.effects == (Effect("receipt", {"amended": False}),)
    assert w.state.status == "submitted"
    assert w.state.submitted == {name: ANSWERS[name] for name in expected[:-1]}
    assert member_actions(wf, w.state) == ["amend"]


@pytest.mark.parametrize(("spouse", "children"), BRANCHES)
def test_steps_the_household_does_not_have_cannot_be_answered(wf: Workflow, spouse: bool,
                                                              children: bool) -> None:
    w = Walker(wf, context(spouse=spouse, children=children))
    w.walk_to("summary")
    for name in ("income_spouse", "children"):
        on_path = name in expected_path(spouse=spouse, children=children)
        if on_path:
            assert w.answer(name).state.step == "summary"
        else:
            refused("step_not_open", lambda name=name: w.answer(name))


@pytest.mark.parametrize("code", SPECIAL_SITUATIONS)
@pytest.mark.parametrize(("spouse", "children"), BRANCHES)
def test_a_special_situation_goes_straight_to_the_summary(wf: Workflow, code: str, spouse: bool,
                                                          children: bool) -> None:
    w = Walker(wf, context(spouse=spouse, children=children))
    w.walk_to("situation")
    w.answer("situation", {"code": code})
    assert w.state.step == "summary" and w.state.reached_review
    assert w.path() == ["terms", "situation", "summary"]
    refused("step_not_open", lambda: w.answer("income_declarant"))
    w.submit()
    assert w.state.submitted == {"terms": TERMS, "situation": {"code": code}}


# --- back ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("spouse", "children"), BRANCHES)
def test_back_goes_to_the_previous_step_on_the_path(wf: Workflow, spouse: bool,
                                                    children: bool) -> None:
    expected = expected_path(spouse=spouse, children=children)
    for i in range(1, len(expected)):
        w = Walker(wf, context(spouse=spouse, children=children))
        w.walk_to(expected[i])
        outcome = w.back()
        assert outcome.event == "went_back" and outcome.effects == ()
        assert w.state.step == expected[i - 1]
        assert w.state.data == {name: ANSWERS[name] for name in expected[:i]}  # nothing lost


def test_back_from_the_summary_after_a_special_situation_returns_to_the_situation(
        wf: Workflow) -> None:
    w = Walker(wf, context(spouse=True, children=True))
    w.walk_to("summary", situation="other_scheme")
    assert w.back().state.step == "situation"
    assert w.back().state.step == "terms"


def test_back_at_the_first_step_is_refused(wf: Workflow) -> None:
    w = Walker(wf, context())
    error = refused("no_previous_step", w.back)
    assert error.message.fr == "Vous êtes à la première étape."
    assert error.message.en == "You are at the first step."
    assert "back" not in member_actions(wf, w.state)
    w.walk_to("situation")
    w.back()
    refused("no_previous_step", w.back)


def test_after_going_back_answering_moves_on_to_the_next_step(wf: Workflow) -> None:
    w = Walker(wf, context(spouse=True))
    w.walk_to("observations")
    w.back()
    w.back()
    assert w.state.step == "income_declarant"
    w.answer("income_declarant")
    assert w.state.step == "income_spouse"


def test_after_the_summary_a_correction_returns_to_the_summary(wf: Workflow) -> None:
    w = Walker(wf, context(spouse=True, children=True))
    w.walk_to("summary")
    for _ in range(4):
        w.back()
    assert w.state.step == "income_declarant"
    changed = {"incomes": [{"category": "salary", "amount": "1", "months": 1}], "total_months": 1}
    w.answer("income_declarant", changed)
    assert w.state.step == "summary"
    assert w.state.data["income_declarant"] == changed


# --- terms of use and steps not open --------------------------------------------------------------

def test_the_terms_must_be_opened_before_they_are_accepted(wf: Workflow) -> None:
    w = Walker(wf, context())
    with pytest.raises(StepInvalid) as caught:
        w.answer("terms")
    assert caught.value.code == "invalid_step_data"
    assert caught.value.message.fr == "Certaines réponses sont à corriger."
    [error] = caught.value.errors
    assert (error.path, error.code) == ("/accepted", "document_not_opened")
    assert error.message.fr == ("Vous devez d'abord ouvrir et lire « Conditions générales "
                                "d'utilisation ».")
    assert error.message.en == "You must first open and read “Terms of use”."
    assert w.state.data == {} and w.state.step == "terms"

    assert w.open().event == "document_opened"
    assert w.outcome.effects == (Effect("opened", {"doc": "cgu"}),)
    w.open()
    assert w.state.opened == ("cgu",)
    w.answer("terms")
    assert w.state.step == "situation"


def test_an_unknown_document_is_refused(wf: Workflow) -> None:
    w = Walker(wf, context())
    error = refused("unknown_document", lambda: w.open("secret"))
    assert error.message.fr == "Ce document n'existe pas."


@pytest.mark.parametrize(("before", "name"), [
    pytest.param("terms", "situation", id="situation before the terms"),
    pytest.param("terms", "income_declarant", id="income on a fresh draft"),
    pytest.param("situation", "observations", id="observations before the situation"),
    pytest.param("income_declarant", "income_spouse", id="spouse without a spouse"),
    pytest.param("summary", "children", id="children without the section"),
    pytest.param("summary", "summary", id="the review step itself"),
    pytest.param("summary", "nonexistent", id="an unknown step"),
])
def test_a_step_that_is_not_on_the_path_cannot_be_answered(wf: Workflow, before: str,
                                                           name: str) -> None:
    w = Walker(wf, context(spouse=False, children=False))
    w.walk_to(before)
    saved = w.state
    error = refused("step_not_open", lambda: w.answer(name, {}))
    fr, en = (wf.steps[name].title.fr, wf.steps[name].title.en) if name in wf.steps \
        else (name, name)
    assert error.message.fr == f"L'étape « {fr} » ne peut pas être remplie maintenant."
    assert error.message.en == f"Step “{en}” cannot be answered now."
    assert w.state == saved


def test_invalid_step_data_is_not_stored(wf: Workflow) -> None:
    w = Walker(wf, context())
    w.walk_to("income_declarant")
    saved = w.state
    bad = {"incomes": [{"category": "salary", "amount": "12", "months": 13}], "total_months": 13}
    with pytest.raises(StepInvalid) as caught:
        w.answer("income_declarant", bad)
    assert [(e.path, e.code) for e in caught.value.errors] == [
        ("/incomes/0/months", "range"), ("/total_months", "range")]
    assert caught.value.errors[0].message.fr == "Le nombre de mois doit être compris entre 1 et 12"
    assert w.state == saved


def test_a_rule_error_names_the_field_in_french(wf: Workflow) -> None:
    w = Walker(wf, context())
    w.walk_to("income_declarant")
    pensions = {"incomes": [{"category": "basic_pension", "amount": "100", "months": 12},
                            {"category": "complementary_pension", "amount": "100", "months": 12}],
                "total_months": 24}
    with pytest.raises(StepInvalid) as caught:
        w.answer("income_declarant", pensions)
    assert [e.as_json() for e in caught.value.errors] == [{
        "path": "/total_months", "code": "range",
        "message": "Le nombre total de mois doit être compris entre 0 et 12"}]
    pensions["total_months"] = 11
    with pytest.raises(StepInvalid) as caught:
        w.answer("income_declarant", pensions)
    assert [e.as_json() for e in caught.value.errors] == [{
        "path": "/total_months", "code": "months_total_below_longest",
        "message": "Le nombre total de mois (11) ne peut pas être inférieur à celui de votre "
                   "revenu le plus long (12 mois)."}]


# --- cancel and submit ----------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["terms", "situation", "observations", "summary"])
def test_a_cancelled_draft_can_no_longer_move(wf: Workflow, where: str) -> None:
    w = Walker(wf, context(spouse=True))
    w.walk_to(where)
    outcome = w.cancel()
    assert outcome.event == "cancelled"
    assert (w.state.status, w.state.step) == ("cancelled", None)
    assert member_actions(wf, w.state) == []
    error = refused("not_editable", lambda: w.answer("terms"))
    assert error.message.fr == "Cette démarche n'est plus modifiable."
    refused("not_editable", w.back)
    refused("not_editable", w.amend)
    error = refused("already_cancelled", w.submit)
    assert error.message.fr == "Cette démarche a déjà été transmise ou annulée."
    error = refused("not_cancellable", w.cancel)
    assert error.message.fr == "Cette démarche ne peut plus être annulée."


@pytest.mark.parametrize("where", FULL[:-1])
def test_submit_is_refused_anywhere_but_the_summary(wf: Workflow, where: str) -> None:
    w = Walker(wf, context(spouse=True, children=True))
    w.walk_to(where)
    assert "submit" not in member_actions(wf, w.state)
    error = refused("not_ready", w.submit)
    assert error.message.fr == "Vérifiez vos réponses sur le récapitulatif avant de valider."
    assert error.message.en == "Check your answers on the summary before submitting."
    assert w.state.status == "draft"


def test_submit_is_refused_after_going_back_from_the_summary(wf: Workflow) -> None:
    w = Walker(wf, context(spouse=True, children=True))
    w.walk_to("summary")
    w.back()
    refused("not_ready", w.submit)
    w.answer("children")
    assert w.submit().event == "submitted"


def test_a_submitted_declaration_is_submitted_once_and_frozen(wf: Workflow) -> None:
    w = Walker(wf, context())
    w.walk_to("summary")
    w.submit()
    error = refused("already_submitted", w.submit)
    assert error.message.fr == "Cette démarche a déjà été transmise ou annulée."
    refused("not_cancellable", w.cancel)
    # Editing without "amend" first is refused (AC-05: PUT on a step after submission -> 409).
    refused("amend_first", lambda: w.answer("observations"))
    refused("amend_first", w.back)


def test_submit_checks_every_step_on_the_path_again(wf: Workflow) -> None:
    """A stored state may be stale or tampered with: submission re-validates every step."""
    w = Walker(wf, context(spouse=True))
    w.walk_to("summary")
    bad_income = {"incomes": [{"category": "salary", "amount": "1", "months": 13}],
                  "total_months": 13}
    stale = reload(w.state.evolve(data={**w.state.data, "income_declarant": bad_income},
                                  opened=()))
    with pytest.raises(StepInvalid) as caught:
        submit(wf, stale, w.ctx)
    assert [(e.path, e.code, e.message.fr) for e in caught.value.errors] == [
        ("/terms/accepted", "document_not_opened",
         "Vous devez d'abord ouvrir et lire « Conditions générales d'utilisation »."),
        ("/income_declarant/incomes/0/months", "range",
         "Le nombre de mois doit être compris entre 1 et 12"),
        ("/income_declarant/total_months", "range",
         "Le nombre total de mois doit être compris entre 0 et 12"),
    ]


def test_answers_that_no_longer_apply_are_not_submitted(wf: Workflow) -> None:
    w = Walker(wf, context(spouse=True, children=True))
    w.walk_to("summary")
    for _ in range(5):
        w.back()
    assert w.state.step == "situation"
    w.answer("situation", {"code": "income_paid_by_fund"})
    assert w.state.step == "summary"
    assert set(w.state.data) == set(ANSWERS)  # kept while the member may change their mind
    w.submit()
    expected = {"terms": TERMS, "situation": {"code": "income_paid_by_fund"}}
    assert w.state.submitted == expected
    assert w.state.data == expected


def test_going_back_to_no_special_situation_brings_the_earlier_answers_back(wf: Workflow) -> None:
    w = Walker(wf, context(spouse=True, children=True))
    w.walk_to("summary")
    w.answer("situation", {"code": "other_scheme"})
    assert w.path() == ["terms", "situation", "summary"]
    w.answer("situation", NONE)
    assert w.state.step == "summary"
    assert w.path() == FULL
    w.submit()
    assert w.state.submitted == ANSWERS


def test_a_special_situation_first_then_none_walks_the_remaining_steps(wf: Workflow) -> None:
    w = Walker(wf, context(spouse=True))
    w.walk_to("summary", situation="no_longer_resident")
    w.answer("situation", NONE)
    assert w.state.step == "income_declarant"
    refused("not_ready", w.submit)
    w.answer("income_declarant")
    assert w.state.step == "income_spouse"
    w.answer("income_spouse")
    w.answer("observations")
    assert w.state.step == "summary"


# --- amend ----------------------------------------------------------------------------------------

def submitted(wf: Workflow, **kwargs: bool) -> Walker:
    w = Walker(wf, context(**kwargs))
    w.walk_to("summary")
    w.submit()
    return w


def test_documents_are_opened_while_filling_in_not_once_sent_or_decided(wf: Workflow) -> None:
    w = submitted(wf)
    refused("amend_first", w.open)  # sent: nothing to record until the member amends
    w.amend()
    assert w.open().event == "document_opened"
    w.submit()
    w.staff("start_review")
    refused("not_amendable", w.open)  # being processed: the trail stays the staff's
    assert w.state.status == "in_review"


def test_amend_then_resubmit(wf: Workflow) -> None:
    w = submitted(wf, spouse=True)
    outcome = w.amend()
    assert outcome.event == "amend_started"
    assert w.state.editing and w.state.step == "summary" and w.state.status == "submitted"
    assert member_actions(wf, w.state) == ["answer", "cancel", "back", "submit"]
    assert w.amend().event == "amend_resumed"
    w.back()
    assert w.state.step == "observations"
    w.answer("observations", {"text": "Mon conjoint a repris le travail."})
    assert w.state.step == "summary"
    outcome = w.submit()
    assert outcome.event == "amended"
    assert outcome.effects == (Effect("receipt", {"amended": True}),)
    assert not w.state.editing and w.state.status == "submitted"
    assert w.state.submitted is not None
    assert w.state.submitted["observations"] == {"text": "Mon conjoint a repris le travail."}
    assert member_actions(wf, w.state) == ["amend"]


def test_an_amendment_to_a_special_situation_drops_the_income(wf: Workflow) -> None:
    w = submitted(wf, spouse=True)
    w.amend()
    w.answer("situation", {"code": "other_scheme"})
    w.submit()
    assert w.state.submitted == {"terms": TERMS, "situation": {"code": "other_scheme"}}


def test_a_cancelled_amendment_keeps_what_was_submitted(wf: Workflow) -> None:
    w = submitted(wf)
    before = w.state.submitted
    w.amend()
    w.answer("observations", {"text": "Finalement non."})
    outcome = w.cancel()
    assert outcome.event == "amendment_cancelled"
    assert (w.state.status, w.state.editing, w.state.step) == ("submitted", False, None)
    assert w.state.data == before and w.state.submitted == before
    assert member_actions(wf, w.state) == ["amend"]


def test_amend_is_refused_on_a_draft(wf: Workflow) -> None:
    w = Walker(wf, context())
    error = refused("not_submitted", w.amend)
    assert error.message.fr == "Seule une démarche transmise peut être modifiée."


@pytest.mark.parametrize("moves", [
    pytest.param(["start_review"], id="in review"),
    pytest.param(["start_review", "request_documents"], id="awaiting documents"),
    pytest.param(["start_review", "accept"], id="processed"),
    pytest.param(["start_review", "reject"], id="rejected"),
])
def test_amend_is_refused_once_the_service_has_started(wf: Workflow, moves: list[str]) -> None:
    w = submitted(wf)
    for name in moves:
        w.staff(name)
    error = refused("not_amendable", w.amend)
    assert error.message.fr == NOT_AMENDABLE_FR
    assert error.message.en == NOT_AMENDABLE_EN
    assert error.message == wf.messages["not_amendable"]
    refused("not_amendable", lambda: w.answer("observations"))
    assert member_actions(wf, w.state) == []


def test_the_service_starting_during_an_amendment_ends_it(wf: Workflow) -> None:
    w = submitted(wf)
    before = w.state.submitted
    w.amend()
    w.answer("observations", {"text": "Trop tard."})
    outcome = w.staff("start_review")
    assert outcome.event == "staff:start_review"
    assert (w.state.status, w.state.editing, w.state.step) == ("in_review", False, None)
    assert w.state.data == before
    refused("already_submitted", w.submit)


# --- staff ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("moves", "status"), [
    (["start_review"], "in_review"),
    (["start_review", "request_documents"], "awaiting_documents"),
    (["start_review", "request_documents", "accept"], "processed"),
    (["start_review", "request_documents", "reject"], "rejected"),
    (["start_review", "accept"], "processed"),
    (["start_review", "reject"], "rejected"),
])
def test_the_staff_lifecycle(wf: Workflow, moves: list[str], status: str) -> None:
    w = submitted(wf)
    for name in moves:
        assert w.staff(name).event == f"staff:{name}"
    assert w.state.status == status
    assert w.state.submitted == w.state.data


@pytest.mark.parametrize(("name", "roles", "code", "fr", "en"), [
    pytest.param("explode", STAFF, "unknown_transition", "L'action « explode » n'existe pas.",
                 "Action “explode” does not exist.", id="unknown"),
    pytest.param("start_review", frozenset(), "role_required",
                 "Cette action est réservée au rôle « immatriculation ».",
                 "This action is reserved to the “immatriculation” role.", id="no role"),
    pytest.param("start_review", frozenset({"recouvrement"}), "role_required",
                 "Cette action est réservée au rôle « immatriculation ».",
                 "This action is reserved to the “immatriculation” role.", id="other role"),
    pytest.param("accept", STAFF, "transition_not_allowed",
                 "L'action « Valider » n'est pas possible dans cet état.",
                 "Action “Accept” is not possible in this state.", id="accept before review"),
    pytest.param("request_documents", STAFF, "transition_not_allowed",
                 "L'action « Demander des justificatifs » n'est pas possible dans cet état.",
                 "Action “Request documents” is not possible in this state.",
                 id="documents before review"),
])
def test_staff_refusals(wf: Workflow, name: str, roles: frozenset[str], code: str, fr: str,
                        en: str) -> None:
    w = submitted(wf)
    error = refused(code, lambda: w.staff(name, roles))
    assert (error.message.fr, error.message.en) == (fr, en)
    assert w.state.status == "submitted"


@pytest.mark.parametrize("name", ["request_documents", "reject"])
@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_transition_declared_with_a_reason_needs_one(wf: Workflow, name: str,
                                                        reason: str) -> None:
    w = submitted(wf)
    w.staff("start_review")
    error = refused("reason_required", lambda: w.staff(name, reason=reason))
    assert error.message.fr.startswith("Indiquez le motif de l'action")
    assert w.state.status == "in_review"


def test_a_transition_says_from_where_to_where_and_whether_to_notify(wf: Workflow) -> None:
    w = submitted(wf)
    quiet = w.staff("start_review", reason="")
    assert [(e.kind, dict(e.data)) for e in quiet.effects] == [
        ("changed", {"from": "submitted", "to": "in_review", "transition": "start_review",
                     "comment": ""})]
    told = w.staff("request_documents", reason="  Avis d'imposition 2025  ")
    assert [(e.kind, dict(e.data)) for e in told.effects] == [
        ("changed", {"from": "in_review", "to": "awaiting_documents",
                     "transition": "request_documents", "comment": "Avis d'imposition 2025"}),
        ("notify", {"state": "awaiting_documents", "comment": "Avis d'imposition 2025"})]


@pytest.mark.parametrize("status_of", ["draft", "cancelled", "processed", "rejected"])
def test_staff_cannot_move_a_draft_a_cancelled_or_a_finished_declaration(
        wf: Workflow, status_of: str) -> None:
    w = Walker(wf, context())
    w.walk_to("summary")
    if status_of == "cancelled":
        w.cancel()
    elif status_of != "draft":
        w.submit()
        w.staff("start_review")
        w.staff("accept" if status_of == "processed" else "reject")
    for name in ("start_review", "request_documents", "accept", "reject"):
        refused("transition_not_allowed", lambda name=name: w.staff(name))
    assert w.state.status == status_of


# --- availability ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("open_", "recipient", "code", "fr"), [
    pytest.param(False, True, "campaign_closed", CLOSED_FR, id="closed campaign"),
    pytest.param(False, False, "campaign_closed", CLOSED_FR, id="closed comes first"),
    pytest.param(True, False, "not_recipient", NOT_RECIPIENT_FR, id="not sent the questionnaire"),
])
def test_the_declaration_is_not_available(wf: Workflow, open_: bool, recipient: bool, code: str,
                                          fr: str) -> None:
    ctx = context(open_=open_, recipient=recipient)
    requirement = unavailable(wf, ctx)
    assert requirement is not None and requirement.code == code
    with pytest.raises(NotAvailable) as caught:
        start(wf, ctx)
    assert isinstance(caught.value, ActionRefused)
    assert caught.value.code == code
    assert caught.value.message.fr == fr


def test_not_recipient_reads_the_manuals_sentence(wf: Workflow) -> None:
    with pytest.raises(NotAvailable) as caught:
        start(wf, context(recipient=False))
    assert caught.value.message.fr == NOT_RECIPIENT_FR
    assert caught.value.message.en == ("We already hold all the information we need to "
                                       "determine the colour of your card.")


def test_without_any_campaign_the_declaration_is_closed(wf: Workflow) -> None:
    with pytest.raises(NotAvailable) as caught:
        start(wf, Context({}, TODAY))
    assert caught.value.code == "campaign_closed"


def test_open_for_a_recipient_during_the_campaign(wf: Workflow) -> None:
    ctx = context()
    assert unavailable(wf, ctx) is None
    outcome = start(wf, ctx)
    assert outcome.event == "started" and outcome.effects == ()
    assert outcome.state == SubmissionState(workflow="resource_declaration", version=wf.version,
                                            step="terms")
    assert scope_of(wf, ctx) == "2025"
    assert member_actions(wf, outcome.state) == ["answer", "cancel"]


# --- saved state ----------------------------------------------------------------------------------

def test_the_state_survives_json_after_every_move_of_a_whole_life(wf: Workflow) -> None:
    w = Walker(wf, context(spouse=True, children=True))  # Walker reloads before every move
    w.walk_to("summary")
    w.back()
    w.answer("children")
    w.submit()
    w.amend()
    w.answer("observations", {"text": "« guillemets », émoji 🙂 et \"échappements\"\n"})
    w.submit()
    w.staff("start_review")
    w.staff("accept")
    assert w.events[0] == "started" and w.events[-1] == "staff:accept"
    assert len(w.events) == 16
    raw = w.state.to_json()
    assert raw["format"] == STATE_FORMAT
    assert reload(w.state) == w.state
    assert json.loads(json.dumps(raw)) == raw


def test_the_saved_state_has_a_format_version(wf: Workflow) -> None:
    state = start(wf, context()).state
    assert state.to_json() == {
        "format": 1, "workflow": "resource_declaration", "version": wf.version, "step": "terms",
        "status": "draft", "data": {}, "reached_review": False, "editing": False,
        "opened": [], "submitted": None}


@pytest.mark.parametrize("fmt", [0, 2, None, "1", "v1"])
def test_an_unknown_state_format_is_refused(wf: Workflow, fmt: Any) -> None:
    raw = start(wf, context()).state.to_json()
    raw["format"] = fmt
    with pytest.raises(ValueError, match="unknown submission state format"):
        SubmissionState.from_json(raw)


def test_a_state_without_format_is_refused(wf: Workflow) -> None:
    raw = start(wf, context()).state.to_json()
    del raw["format"]
    with pytest.raises(ValueError, match="unknown submission state format None"):
        SubmissionState.from_json(raw)


# --- known engine bugs ----------------------------------------------------------------------------

FLOAT_INTEGERS_BUG = (
    "engine bug: JSON Schema counts 2.0 as an integer, so validate_step passes it, but the rules "
    "(rules/children.py children_under_21, rules/months.py income_months) only check real ints: "
    "check_step/answer store a count or total the rules never looked at")


@pytest.mark.parametrize(("where", "name", "data"), [
    pytest.param("children", "children", {"count": 2.0, "children": []},
                 id="children: count 2.0 with no child entered"),
    pytest.param("income_declarant", "income_declarant", {"incomes": [], "total_months": 5.0},
                 id="income: total 5.0 months with no income"),
])
def test_a_whole_number_written_as_a_decimal_gets_the_same_checks(
        wf: Workflow, where: str, name: str, data: dict[str, Any]) -> None:
    w = Walker(wf, context(children=True))
    w.walk_to(where)
    saved = w.state
    with pytest.raises(StepInvalid):  # as with 2 and 5: children_count_mismatch, ..._without_income
        w.answer(name, data)
    assert w.state == saved


def test_saving_a_screen_of_a_still_amendable_declaration_does_not_say_it_was_processed(
        wf: Workflow) -> None:
    w = submitted(wf)
    assert member_actions(wf, w.state) == ["amend"]
    error = refused("amend_first", lambda: w.answer("observations"))
    assert error.message.fr == "Pour modifier votre démarche, choisissez d'abord « Modifier »."
