"""Publishing a new version (issue 8, point 5): the diff between two versions in plain words, and
the migration of drafts (engine.diff, engine.migrations; docs/publishing.md).

The tree ``tests/definitions/valid/draft_migration`` holds version 1 (archived) and version 2 of
``savings_declaration``: version 2 renames ``savings.amount`` to ``total`` and adds a required
``currency`` with the default ``EUR``. Other changes are made on copies of its bundles.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.__main__ import main
from engine.bundle import Bundle
from engine.compiler import compile_bundle
from engine.definitions import Workflow
from engine.diff import Change, diff
from engine.loading import LoadResult, load_definitions
from engine.migrations import Migration, check_against_old, migrate_state
from engine.state import SubmissionState
from rules import rule_names

TREE = Path(__file__).resolve().parents[2] / "definitions" / "valid" / "draft_migration"
WF = "savings_declaration"


@pytest.fixture(scope="module")
def loaded() -> LoadResult:
    result = load_definitions(TREE)
    assert result.report.ok, result.report.as_text("en")
    return result


def variant(bundle: Bundle, edit: Callable[[dict[str, Any], dict[str, Any]], None]) -> Workflow:
    """``bundle`` with ``edit(workflow, forms)`` applied to a copy, compiled."""
    wf, forms = copy.deepcopy(dict(bundle.workflow)), copy.deepcopy(dict(bundle.forms))
    edit(wf, forms)
    compiled, issues = compile_bundle(Bundle(wf, forms, {}), rule_names())
    assert compiled is not None, issues
    return compiled


def codes(changes: list[Change]) -> list[tuple[str, str | None, str | None]]:
    return [(c.code, c.step, c.field) for c in changes]


def draft(data: dict[str, Any], **more: Any) -> SubmissionState:
    return SubmissionState(**{"workflow": WF, "version": 1, "step": "remarks", "data": data,
                              **more})


# --------------------------------------------------------------------------------------- diff

def test_diff_names_the_rename_and_the_new_required_field_with_its_default(loaded):
    changes = diff(loaded.bundles[(WF, 1)], loaded.bundles[(WF, 2)])  # bundles: migrate read
    assert codes(changes) == [("step_form_changed", "savings", None),
                              ("field_added", "savings", "currency"),
                              ("field_renamed", "savings", "total")]
    assert "Total amount" in changes[2].message.en and "« Montant »" in changes[2].message.fr
    assert "required" in changes[1].message.en and '"EUR"' in changes[1].message.en


def test_without_the_migration_a_rename_is_a_field_removed_and_one_added(loaded):
    v1, v2 = loaded.workflows[(WF, 1)], loaded.workflows[(WF, 2)]
    found = codes(diff(v1, v2))  # compiled workflows carry no migration
    assert ("field_removed", "savings", "amount") in found
    assert ("field_added", "savings", "total") in found


def test_steps_added_and_removed(loaded):
    v1 = loaded.workflows[(WF, 1)]

    def edit(wf: dict[str, Any], forms: dict[str, Any]) -> None:
        del wf["steps"]["remarks"]
        wf["steps"]["savings"]["next"] = "summary"
        wf["steps"]["savings"]["form"] = "savings_v1"
        forms["savings_v1"] = loaded.bundles[(WF, 1)].forms["savings_v1"]
        del forms["savings_v2"], wf["migrate"]

    fewer = variant(loaded.bundles[(WF, 2)], edit)
    assert codes(diff(v1, fewer)) == [("step_removed", "remarks", None),
                                      ("next_changed", "savings", None)]
    assert codes(diff(fewer, v1)) == [("step_added", "remarks", None),
                                      ("next_changed", "savings", None)]
    assert "→ summary" in diff(v1, fewer)[1].message.en


def test_required_bounds_and_options(loaded):
    v2 = loaded.workflows[(WF, 2)]

    def edit(wf: dict[str, Any], forms: dict[str, Any]) -> None:
        schema = forms["savings_v2"]["schema"]
        schema["required"] = ["total", "currency", "bank"]
        schema["properties"]["total"]["maxLength"] = 9
        schema["properties"]["currency"]["enum"] = ["EUR", "USD"]
        options = forms["savings_v2"]["fields"]["currency"]["options"]
        options["USD"] = options.pop("CHF")
        forms["remarks"]["schema"]["properties"]["text"]["maxLength"] = 1000

    changed = diff(v2, variant(loaded.bundles[(WF, 2)], edit))
    assert codes(changed) == [("bound_changed", "savings", "total"),
                              ("options_added", "savings", "currency"),
                              ("options_removed", "savings", "currency"),
                              ("field_required", "savings", "bank"),
                              ("bound_changed", "remarks", "text")]
    assert "maximum length 9 (before: 15)" in changed[0].message.en
    assert '"USD"' in changed[1].message.en and '"CHF"' in changed[2].message.en
    back = diff(variant(loaded.bundles[(WF, 2)], edit), v2)
    assert ("field_not_required", "savings", "bank") in codes(back)


def test_conditions_and_lifecycle(loaded):
    v2 = loaded.workflows[(WF, 2)]

    def edit(wf: dict[str, Any], forms: dict[str, Any]) -> None:
        wf["steps"]["remarks"]["skip_unless"] = 'answers.savings.currency == "CHF"'
        wf["steps"]["savings"]["next"] = [
            {"to": "summary", "when": 'answers.savings.total == "0"'}, {"to": "remarks"}]
        life = wf["lifecycle"]
        life["states"]["refused"] = {"fr": "Refusée", "en": "Refused"}
        life["transitions"].append({"name": "refuse", "from": "submitted", "to": "refused",
                                    "role": "registration",
                                    "title": {"fr": "Refuser", "en": "Refuse"}})

    changes = diff(v2, variant(loaded.bundles[(WF, 2)], edit))
    assert codes(changes) == [("next_changed", "savings", None),
                              ("skip_unless_changed", "remarks", None),
                              ("state_added", None, None), ("transition_added", None, None)]
    assert 'if answers.savings.currency == "CHF" (before: always)' in changes[1].message.en
    back = codes(diff(variant(loaded.bundles[(WF, 2)], edit), v2))
    assert ("state_removed", None, None) in back and ("transition_removed", None, None) in back


def test_diff_command(loaded, capsys):
    assert main(["diff", WF, str(TREE), "--from", "1", "--to", "2", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("savings_declaration: version 1 → 2\n") and "[field_renamed]" in out
    assert main(["diff", WF, str(TREE), "--from", "1", "--to", "7"]) == 1
    assert "version inconnue" in capsys.readouterr().err


# ----------------------------------------------------------------------------- migrate_state

@pytest.fixture(scope="module")
def versions(loaded) -> tuple[Workflow, Workflow, Migration]:
    migration = Migration.of(loaded.bundles[(WF, 2)].workflow)
    assert migration is not None
    return loaded.workflows[(WF, 1)], loaded.workflows[(WF, 2)], migration


def test_a_draft_migrates_renamed_and_defaulted(versions):
    old, new, migration = versions
    result = migrate_state(old, new, migration, draft(
        {"savings": {"amount": "1200", "bank": "CMB"}, "remarks": {"text": "ok"}},
        labels={"savings": {"amount": {"fr": "x", "en": "x"}}}))
    assert result.ok and result.problems == ()
    assert result.state is not None and result.state.version == 2
    assert result.state.data == {"savings": {"total": "1200", "bank": "CMB", "currency": "EUR"},
                                 "remarks": {"text": "ok"}}
    assert result.state.labels == {"savings": {"total": {"fr": "x", "en": "x"}}}
    assert result.state.step == "remarks"


def test_a_draft_that_has_not_reached_the_step_gets_no_default(versions):
    old, new, migration = versions
    result = migrate_state(old, new, migration, draft({}, step="savings"))
    assert result.state is not None and result.state.data == {}


def test_a_migration_that_would_lose_data_is_reported(versions):
    old, new, _ = versions
    no_rename = Migration(1, 2, tuple(op for op in versions[2].operations
                                      if op.kind != "rename"))
    result = migrate_state(old, new, no_rename, draft({"savings": {"amount": "1200"}}))
    assert result.state is None
    assert [(p.code, p.step, p.path) for p in result.problems] == [
        ("would_lose_data", "savings", "/amount"), ("required", "savings", "/total")]
    assert "would be lost" in result.problems[0].message.en


def test_a_removed_step_loses_its_answers_unless_dropped(loaded, versions):
    old, _, migration = versions

    def edit(wf: dict[str, Any], forms: dict[str, Any]) -> None:
        del wf["steps"]["remarks"]
        wf["steps"]["savings"]["next"] = "summary"

    new = variant(loaded.bundles[(WF, 2)], edit)
    state = draft({"savings": {"amount": "5"}, "remarks": {"text": "a remark"}})
    lost = migrate_state(old, new, migration, state)
    assert [(p.code, p.step) for p in lost.problems] == [("would_lose_data", "remarks")]
    dropping = Migration.of({**loaded.bundles[(WF, 2)].workflow, "migrate": {
        "from": 1, "steps": [*loaded.bundles[(WF, 2)].workflow["migrate"]["steps"],
                             {"drop": {"step": "remarks"}}]}})
    assert dropping is not None
    moved = migrate_state(old, new, dropping, state)
    assert moved.state is not None and "remarks" not in moved.state.data
    assert moved.state.step == "savings"  # where the member was is gone: back to the start


def test_new_bounds_and_taken_targets_are_reported(loaded, versions):
    old, _, migration = versions

    def edit(wf: dict[str, Any], forms: dict[str, Any]) -> None:
        forms["savings_v2"]["schema"]["properties"]["total"]["maxLength"] = 3

    tighter = variant(loaded.bundles[(WF, 2)], edit)
    result = migrate_state(old, tighter, migration, draft({"savings": {"amount": "123456"}}))
    assert [(p.code, p.path) for p in result.problems] == [("max_length", "/total")]
    taken = migrate_state(old, versions[1], migration,
                          draft({"savings": {"amount": "1", "total": "2"}}))
    assert [p.code for p in taken.problems] == ["target_taken"]


def test_move_and_drop_of_a_field(loaded, versions):
    old, new, _ = versions
    migration = Migration(1, 2, Migration.of({"version": 2, "migrate": {"from": 1, "steps": [
        {"rename": {"step": "savings", "from": "amount", "to": "total"}},
        {"default": {"step": "savings", "field": "currency", "value": "CHF"}},
        {"move": {"from": {"step": "savings", "field": "bank"},
                  "to": {"step": "remarks", "field": "text"}}}]}}).operations)  # type: ignore[union-attr]
    result = migrate_state(old, new, migration, draft({"savings": {"amount": "7", "bank": "B"}}))
    assert result.state is not None
    assert result.state.data == {"savings": {"total": "7", "currency": "CHF"},
                                 "remarks": {"text": "B"}}
    assert codes(diff(old, new, migration))[2:] == [
        ("field_renamed", "savings", "total"), ("field_moved", "remarks", "text"),
        ("bound_changed", "remarks", "text")]  # the bank had 100 characters, the remark 500


def test_only_drafts_of_the_from_version_migrate(versions):
    old, new, migration = versions
    sent = draft({"savings": {"amount": "1"}}, status="submitted")
    assert [p.code for p in migrate_state(old, new, migration, sent).problems] == ["not_a_draft"]
    editing = draft({}, editing=True)
    assert not migrate_state(old, new, migration, editing).ok
    other = SubmissionState(workflow=WF, version=2, step=None)
    assert [p.code for p in migrate_state(old, new, migration, other).problems] == [
        "wrong_version"]


def test_the_migration_is_checked_against_the_older_version(versions):
    old, _, _ = versions
    wrong = Migration.of({"version": 2, "migrate": {"from": 1, "steps": [
        {"rename": {"step": "savings", "from": "amont", "to": "total"}},
        {"drop": {"step": "notes"}}]}})
    assert wrong is not None
    found = [(p, c) for p, c, _ in check_against_old(wrong, old)]
    assert found == [("/migrate/steps/0/rename", "migration_unknown_field_in_old"),
                     ("/migrate/steps/1/drop", "migration_unknown_step_in_old")]
