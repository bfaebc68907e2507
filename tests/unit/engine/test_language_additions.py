"""The language's later additions, on a small tree written by each test: catalogues, dynamic
choices (choice lists), what a step ``shows``, a conditional ``initial`` state, states that
``offer`` documents, transitions that ``produce`` something, ``{date}`` and ``messages.another``.

The choice lists these tests use are registered in a fresh registry for the test only (the
``lists`` fixture), so they never collide with the fund's nor leak into other tests.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

import rules.choices
from engine.bundle import Bundle
from engine.definitions import Workflow
from engine.diagrams import lifecycle_diagram
from engine.loading import LoadResult, load_definitions
from engine.review import review
from engine.runtime import (
    Context,
    StepInvalid,
    answer,
    cancel,
    check_step,
    choices,
    shown,
    staff_transition,
    start,
    submit,
)
from engine.state import SubmissionState
from rules import Choice, ChoiceInput, choice_list_names, get_choice_list
from rules.choices import ChoiceListRegistry

TEXT = {"fr": "Texte", "en": "Text"}

CATALOGUE: dict[str, Any] = {
    "catalogue": "documents",
    "title": {"fr": "Documents", "en": "Documents"},
    "schema": {"type": "object", "additionalProperties": False, "required": ["domain"],
               "properties": {
                   "domain": {"type": "string", "enum": ["medical", "family"]},
                   "keywords": {"type": "array", "maxItems": 3,
                                "items": {"type": "string", "maxLength": 10}}}},
    "entries": [
        {"code": "rights", "title": {"fr": "Droits", "en": "Rights"}, "domain": "medical"},
        {"code": "family", "title": {"fr": "Famille", "en": "Family"}, "domain": "family",
         "keywords": ["child"]},
    ],
}

FORMS: dict[str, dict[str, Any]] = {
    "search": {
        "form": "search", "title": TEXT,
        "schema": {"type": "object", "additionalProperties": False, "required": ["domain"],
                   "properties": {"domain": {"type": "string", "enum": ["medical", "family"]},
                                  "ok": {"type": "boolean"}}},
        "fields": {"domain": {"label": TEXT, "widget": "radio", "options": {
            "medical": {"fr": "Médical", "en": "Medical"},
            "family": {"fr": "Famille", "en": "Family"}}},
            "ok": {"label": TEXT, "widget": "yes_no"}},
    },
    "pick": {
        "form": "pick", "title": TEXT,
        "schema": {"type": "object", "additionalProperties": False, "required": ["document"],
                   "properties": {"document": {"type": "string", "maxLength": 63},
                                  "note": {"type": "string", "maxLength": 100}}},
        "fields": {"document": {"label": {"fr": "Document", "en": "Document"},
                                "widget": "select", "choices": "dynamic"},
                   "note": {"label": TEXT}},
    },
}

CONTEXT = {"context": "member", "schema": {"type": "object", "properties": {
    "address": {"type": ["string", "null"]},
    "population": {"type": "string"},
    "adult": {"type": "boolean"}}}}

WORKFLOW: dict[str, Any] = {
    "workflow": "request", "version": 1, "title": TEXT, "audience": "member",
    "context": ["member"], "catalogues": ["documents"],
    "documents": {"form_b": {"title": TEXT, "body": TEXT}},
    "start": "search",
    "steps": {
        "search": {"form": "search", "next": "pick",
                   "shows": [{"label": {"fr": "Adresse", "en": "Address"},
                              "value": "member.address"}]},
        "pick": {"form": "pick", "next": "summary", "choices": {"document": {
            "from": "test_documents",
            "with": {"domain": "answers.search.domain", "population": "member.population"}}}},
        "summary": {"review": True, "title": TEXT},
    },
    "messages": {"another": {"fr": "Une autre demande", "en": "Another request"}},
    "lifecycle": {
        "initial": [{"to": "stopped", "when": "answers.search.ok == false"},
                    {"to": "received"}],
        "states": {
            "received": TEXT,
            "stopped": {"title": TEXT, "offers": ["form_b"]},
            "sent": {"title": TEXT, "notify": {
                "subject": {"fr": "Envoyé le {date}", "en": "Sent on {date}"}, "body": TEXT}},
        },
        "transitions": [
            {"name": "send", "from": "received", "to": "sent", "role": "staff", "title": TEXT,
             "produces": {"name": "certificate",
                          "with": {"document": "answers.pick.document"}}},
            {"name": "resend", "from": "sent", "to": "sent", "role": "staff", "title": TEXT},
        ],
    },
}

TODAY = date(2026, 11, 23)
CONTEXT_VALUES = {"member": {"address": "1 rue X", "population": "retiree", "adult": True}}


def _documents(given: ChoiceInput) -> list[Choice]:
    """The catalogue's entries of the domain asked for; "family" only for retirees."""
    return [Choice(e["code"], e["title"]["fr"], e["title"]["en"])
            for e in given.catalogues["documents"]
            if e["domain"] == given.params["domain"]
            and (e["code"] != "family" or given.params["population"] == "retiree")]


@pytest.fixture
def lists(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChoiceListRegistry]:
    """A registry of its own holding ``test_documents``, in place of the package's."""
    fresh = ChoiceListRegistry()
    fresh.register("test_documents")(_documents)
    monkeypatch.setattr(rules.choices, "choice_registry", fresh)
    yield fresh


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_tree(root: Path, workflow: dict[str, Any] | None = None,
               catalogue: dict[str, Any] | None = None,
               forms: dict[str, dict[str, Any]] | None = None) -> Path:
    files = {"workflows/request.yaml": workflow or WORKFLOW,
             "catalogues/documents.yaml": catalogue or CATALOGUE,
             "contexts/member.yaml": CONTEXT,
             **{f"forms/{n}.yaml": f for n, f in (forms or FORMS).items()}}
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(data, Dumper=_NoAliases, allow_unicode=True,
                                        sort_keys=False), "utf-8")
    return root


def load(root: Path, **changes: Any) -> LoadResult:
    return load_definitions(write_tree(root, **changes),
                            choice_names=frozenset({"test_documents"}))


def codes(result: LoadResult) -> list[tuple[str, str]]:
    return [(p.code, p.pointer) for p in result.report.problems]


def changed(**paths: Any) -> dict[str, Any]:
    """A copy of WORKFLOW with ``a/b/c=value`` replaced (value None deletes the key)."""
    wf = copy.deepcopy(WORKFLOW)
    for path, value in paths.items():
        *parents, last = path.split("__")
        node = wf
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return wf


@pytest.fixture
def wf(tmp_path: Path, lists: ChoiceListRegistry) -> Workflow:
    result = load(tmp_path)
    assert result.report.ok, result.report.as_text("en")
    return result.workflows[("request", 1)]


def ctx() -> Context:
    return Context(CONTEXT_VALUES, TODAY)


def filled(wf: Workflow, ok: bool = True, document: str = "rights",
           domain: str = "medical") -> SubmissionState:
    state = start(wf, ctx()).state
    state = answer(wf, state, "search", {"domain": domain, "ok": ok}, ctx()).state
    return answer(wf, state, "pick", {"document": document}, ctx()).state


# ---------------------------------------------------------------------------------- registry

def test_the_package_registry_refuses_a_second_list_of_the_same_name(
        lists: ChoiceListRegistry) -> None:
    assert choice_list_names() == {"test_documents"}
    assert get_choice_list("test_documents") is _documents
    with pytest.raises(ValueError, match="already registered"):
        lists.register("test_documents")(_documents)
    with pytest.raises(ValueError, match="snake_case"):
        lists.register("Bad-Name")
    with pytest.raises(KeyError, match="known choice lists: test_documents"):
        get_choice_list("nope")


# ---------------------------------------------------------------------------------- catalogues

def test_a_workflow_carries_the_entries_of_its_catalogues(wf: Workflow, tmp_path: Path) -> None:
    assert [e["code"] for e in wf.catalogues["documents"]] == ["rights", "family"]
    bundle = load(tmp_path).bundles[("request", 1)]
    assert bundle.to_json()["catalogues"]["documents"]["entries"][1]["keywords"] == ["child"]
    again = Bundle.from_json(json.loads(json.dumps(bundle.to_json())))
    assert again.digest == bundle.digest and again.catalogues == bundle.catalogues


def test_a_bundle_without_catalogues_has_no_catalogues_key() -> None:
    bundle = Bundle(workflow={"workflow": "w", "version": 1}, forms={}, contexts={})
    assert "catalogues" not in bundle.to_json()
    assert Bundle.from_json(bundle.to_json()) == bundle


def test_an_unknown_catalogue_is_reported(tmp_path: Path, lists: ChoiceListRegistry) -> None:
    result = load(tmp_path, workflow=changed(catalogues=["documentz"]))
    assert ("unknown_catalogue", "/catalogues/0") in codes(result)
    assert "documents" in result.report.problems[0].message.en


def test_each_entry_follows_the_catalogue_schema_at_its_line(tmp_path: Path,
                                                              lists: ChoiceListRegistry) -> None:
    bad = copy.deepcopy(CATALOGUE)
    bad["entries"][1]["domain"] = "pensions"
    bad["entries"][1]["extra"] = 1
    bad["entries"].append({"code": "rights", "title": TEXT, "domain": "medical"})
    del bad["entries"][0]["domain"]
    result = load(tmp_path, catalogue=bad)
    found = {(p.code, p.pointer, p.file) for p in result.report.problems}
    assert found >= {
        ("catalogue_entry_invalid", "/entries/0", "catalogues/documents.yaml"),
        ("catalogue_entry_invalid", "/entries/1/domain", "catalogues/documents.yaml"),
        ("catalogue_entry_invalid", "/entries/1/extra", "catalogues/documents.yaml"),
        ("duplicate_entry", "/entries/2/code", "catalogues/documents.yaml")}
    assert all(p.line for p in result.report.problems)
    assert ("request", 1) not in result.workflows  # a broken catalogue stops its workflows


def test_an_invalid_catalogue_schema_is_reported(tmp_path: Path,
                                                 lists: ChoiceListRegistry) -> None:
    bad = copy.deepcopy(CATALOGUE)
    bad["schema"]["properties"]["domain"]["type"] = "strin"
    assert ("catalogue_schema_invalid", "/schema/properties/domain/type") in codes(
        load(tmp_path, catalogue=bad))


def test_the_catalogue_language_suggests_the_closest_key(tmp_path: Path,
                                                         lists: ChoiceListRegistry) -> None:
    bad = {**CATALOGUE, "entrys": []}
    problems = load(tmp_path, catalogue=bad).report.problems
    assert any(p.code == "unknown_key" and "entries" in p.message.en for p in problems)


# ---------------------------------------------------------------------------------- choices

def test_choices_are_computed_with_the_current_answers_and_context(wf: Workflow) -> None:
    state = start(wf, ctx()).state
    state = answer(wf, state, "search", {"domain": "family"}, ctx()).state
    assert choices(wf, state, "pick", ctx()) == {"document": [Choice("family", "Famille",
                                                                     "Family")]}


def test_a_value_that_is_not_offered_is_not_a_choice(wf: Workflow) -> None:
    state = start(wf, ctx()).state
    state = answer(wf, state, "search", {"domain": "medical"}, ctx()).state
    errors = check_step(wf, state, "pick", {"document": "family"}, ctx())
    assert [(e.path, e.code, e.message.en) for e in errors] == [
        ("/document", "not_a_choice", "“Document”: this choice is not possible.")]
    assert errors[0].message.fr == "« Document » : ce choix n'est pas possible."
    with pytest.raises(StepInvalid):
        answer(wf, state, "pick", {"document": "family"}, ctx())
    assert [e.code for e in check_step(wf, state, "pick", {"document": 3}, ctx())] == ["type"]


def test_the_chosen_labels_are_kept_and_shown_on_the_summary(wf: Workflow) -> None:
    state = filled(wf)
    assert state.labels == {"pick": {"document": {"fr": "Droits", "en": "Rights"}}}
    sent = submit(wf, state, ctx()).state
    assert sent.labels == state.labels
    again = SubmissionState.from_json(json.loads(json.dumps(sent.to_json())))
    assert again == sent
    [_, pick] = review(wf, sent.submitted or {}, ["search", "pick"], "en", labels=sent.labels)
    assert pick.lines[0].value == "Rights"
    [_, raw] = review(wf, sent.submitted or {}, ["search", "pick"], "en")
    assert raw.lines[0].value == "rights"


def test_a_state_saved_without_labels_reads_and_writes_as_before(wf: Workflow) -> None:
    raw = start(wf, ctx()).state.to_json()
    assert "labels" not in raw
    assert SubmissionState.from_json(raw).labels == {}


def test_labels_of_steps_left_off_the_path_are_not_submitted(wf: Workflow) -> None:
    state = filled(wf).evolve(labels={"pick": {"document": {"fr": "Droits", "en": "Rights"}},
                                      "gone": {"x": {"fr": "x", "en": "x"}}})
    assert set(submit(wf, state, ctx()).state.labels) == {"pick"}


def test_cancelling_a_draft_keeps_nothing_wrong(wf: Workflow) -> None:
    assert cancel(wf, filled(wf)).state.status == "cancelled"


@pytest.mark.parametrize(("changes", "expected"), [
    ({"steps__pick__choices": None}, ("missing_choices", "/steps/pick")),
    ({"steps__pick__choices__note": {"from": "test_documents"}},
     ("not_dynamic_field", "/steps/pick/choices/note")),
    ({"steps__pick__choices__document__from": "nope"},
     ("unknown_choice_list", "/steps/pick/choices/document/from")),
    ({"steps__pick__choices__document__with__domain": "answers.search.domian"},
     ("expr_unknown_name", "/steps/pick/choices/document/with/domain")),
])
def test_choice_sources_are_checked(tmp_path: Path, lists: ChoiceListRegistry,
                                    changes: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in codes(load(tmp_path, workflow=changed(**changes)))


@pytest.mark.parametrize("field", [
    {"label": TEXT, "widget": "text", "choices": "dynamic"},
    {"label": TEXT, "widget": "select", "choices": "dynamic", "options": {"a": TEXT}},
])
def test_a_dynamic_field_is_a_select_or_radio_without_options(
        tmp_path: Path, lists: ChoiceListRegistry, field: dict[str, Any]) -> None:
    forms = copy.deepcopy(FORMS)
    forms["pick"]["fields"]["document"] = field
    assert ("invalid_choices", "/fields/document/choices") in codes(load(tmp_path, forms=forms))


def test_a_dynamic_field_has_no_enum(tmp_path: Path, lists: ChoiceListRegistry) -> None:
    forms = copy.deepcopy(FORMS)
    forms["pick"]["schema"]["properties"]["document"]["enum"] = ["rights"]
    assert ("invalid_choices", "/fields/document/choices") in codes(load(tmp_path, forms=forms))


# ---------------------------------------------------------------------------------- shows

def test_a_step_shows_host_data_above_its_form(wf: Workflow) -> None:
    state = start(wf, ctx()).state
    [(label, value)] = shown(wf, state, "search", ctx())
    assert (label.en, value) == ("Address", "1 rue X")
    assert shown(wf, state, "search", Context({"member": {}}, TODAY))[0][1] is None
    assert shown(wf, state, "pick", ctx()) == []


@pytest.mark.parametrize(("value", "code"), [
    ("member.adult", "expr_type"), ("member.adres", "expr_unknown_name")])
def test_what_a_step_shows_is_checked(tmp_path: Path, lists: ChoiceListRegistry, value: str,
                                      code: str) -> None:
    result = load(tmp_path, workflow=changed(steps__search__shows__0__value=value))
    assert (code, "/steps/search/shows/0/value") in codes(result)


# ---------------------------------------------------------------------------------- lifecycle

def test_the_first_initial_target_whose_condition_holds_is_entered(wf: Workflow) -> None:
    assert wf.lifecycle.initial == "received"
    assert wf.lifecycle.initial_states == {"received", "stopped"}
    assert submit(wf, filled(wf, ok=False), ctx()).state.status == "stopped"
    assert submit(wf, filled(wf, ok=True), ctx()).state.status == "received"


def test_a_plain_initial_state_still_works(tmp_path: Path, lists: ChoiceListRegistry) -> None:
    wf = load(tmp_path, workflow=changed(lifecycle__initial="received")).workflows[
        ("request", 1)]
    assert (wf.lifecycle.initial, wf.lifecycle.initial_targets) == ("received", ())
    assert [t.to for t in wf.lifecycle.entries] == ["received"]
    assert submit(wf, filled(wf, ok=False), ctx()).state.status == "received"


@pytest.mark.parametrize(("initial", "expected"), [
    ([{"to": "stopped", "when": "answers.search.ok == false"}],
     ("initial_without_default", "/lifecycle/initial")),
    ([{"to": "nowhere", "when": "answers.search.ok"}, {"to": "received"}],
     ("unknown_state", "/lifecycle/initial/0/to")),
    ([{"to": "stopped", "when": "answers.search.domain"}, {"to": "received"}],
     ("expr_not_boolean", "/lifecycle/initial/0/when")),
    ([{"to": "stopped", "when": "member.adult"}, {"to": "nowhere"}],
     ("unknown_state", "/lifecycle/initial/1/to")),
])
def test_initial_targets_are_checked(tmp_path: Path, lists: ChoiceListRegistry,
                                     initial: list[dict[str, str]],
                                     expected: tuple[str, str]) -> None:
    assert expected in codes(load(tmp_path, workflow=changed(lifecycle__initial=initial)))


def test_the_lifecycle_diagram_draws_each_initial_target(wf: Workflow) -> None:
    text = lifecycle_diagram(wf, "en")
    assert "[*] --> st_stopped : Submission (member) #91;answers.search.ok == false#93;" in text
    assert "[*] --> st_received : Submission (member) #91;otherwise#93;" in text


def test_a_state_offers_documents(wf: Workflow, tmp_path: Path) -> None:
    assert dict(wf.lifecycle.offers) == {"stopped": ("form_b",)}
    result = load(tmp_path, workflow=changed(
        lifecycle__states__stopped__offers=["form_c"]))
    assert ("unknown_document", "/lifecycle/states/stopped/offers/0") in codes(result)


def test_a_transition_produces_after_the_change(wf: Workflow) -> None:
    state = submit(wf, filled(wf), ctx()).state
    outcome = staff_transition(wf, state, "send", frozenset({"staff"}))
    assert [e.kind for e in outcome.effects] == ["changed", "produce", "notify"]
    assert outcome.effects[1].data == {"name": "certificate", "params": {"document": "rights"}}
    assert wf.lifecycle.transition("send").produces == "certificate"  # type: ignore[union-attr]
    later = staff_transition(wf, outcome.state, "resend", frozenset({"staff"}))
    assert "produce" not in [e.kind for e in later.effects]


def test_a_producer_reads_only_answers(tmp_path: Path, lists: ChoiceListRegistry) -> None:
    result = load(tmp_path, workflow=changed(
        lifecycle__transitions__0__produces__with__document="member.population"))
    assert ("expr_unknown_name", "/lifecycle/transitions/0/produces/with/document") in codes(
        result)


# ---------------------------------------------------------------------------------- language

def test_date_and_another_are_accepted_and_misspelt_keys_are_still_suggested(
        wf: Workflow, tmp_path: Path, lists: ChoiceListRegistry) -> None:
    assert wf.messages["another"].en == "Another request"
    result = load(tmp_path, workflow=changed(steps__search__show=[], steps__search__shows=None))
    [problem] = result.report.problems
    assert problem.code == "unknown_key" and "Did you mean “shows”?" in problem.message.en
