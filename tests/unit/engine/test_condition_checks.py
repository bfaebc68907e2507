"""The warnings of ``engine.conditionchecks`` and the checks of the loader around them
(``unused_form``, ``unknown_role``): the cases ``tests/definitions/invalid/<code>/`` cannot show
one by one (what is not reported, null answers, no roles.yaml, the JSON severity)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.loading import load_definitions
from engine.report import Problem

CASES = Path(__file__).resolve().parents[2] / "definitions"


def _tree(tmp_path: Path, case: str, workflow: str | None = None) -> Path:
    """A copy of ``valid/branching`` (or of an invalid case) with its workflow replaced."""
    kind = "valid" if case == "branching" else "invalid"
    tree = tmp_path / "tree"
    shutil.copytree(CASES / kind / case, tree)
    if workflow is not None:
        (tree / "workflows" / "family_allowance.yaml").write_text(workflow, "utf-8")
    return tree


def _workflow(steps: str, initial: str = "  initial: submitted\n", start: str = "situation"
              ) -> str:
    return f"""workflow: family_allowance
version: 1
title: {{fr: "Allocations", en: "Allowance"}}
audience: member
context: [household]
start: {start}
steps:
{steps}  summary:
    review: true
lifecycle:
{initial}  states:
    submitted: {{fr: "Transmise", en: "Submitted"}}
    checked: {{fr: "À vérifier", en: "To be checked"}}
  transitions:
    - name: accept
      from: [submitted, checked]
      to: checked
      role: registration
      title: {{fr: "Valider", en: "Accept"}}
"""


def _warnings(tree: Path, code: str) -> list[Problem]:
    report = load_definitions(tree).report
    assert report.ok, report.as_text("en")
    return [p for p in report.problems if p.code == code]


def _constant(tmp_path: Path, when: str, skippable: bool = False, branch: bool = False) -> bool:
    """Whether ``when``, on a target of ``spouse_income``, is reported always true or false.
    With ``branch``, the member reaches ``spouse_income`` with or without ``situation``."""
    skip = "    skip_unless: household.has_spouse\n" if skippable else ""
    own = ("    next:\n      - to: situation\n        when: household.children > 2\n"
           "      - to: spouse_income\n") if branch else "    next: spouse_income\n"
    steps = (f"  situation:\n    form: situation\n{skip}"
             f"    next: {'spouse_income' if branch else 'own_income'}\n"
             f"  own_income:\n    form: income\n{own}"
             "  spouse_income:\n    form: income\n    next:\n"
             f"      - to: summary\n        when: '{when}'\n      - to: summary\n")
    workflow = _workflow(steps, start="own_income" if branch else "situation")
    return bool(_warnings(_tree(tmp_path, "branching", workflow), "condition_constant"))


def test_every_value_of_a_required_answer_is_constant(tmp_path: Path) -> None:
    assert _constant(tmp_path, 'answers.situation.move in ["within_monaco", "abroad"]')


@pytest.mark.parametrize(("skippable", "branch"), [(True, False), (False, True)])
def test_an_answer_that_may_be_missing_is_null_too_so_not_constant(
        tmp_path: Path, skippable: bool, branch: bool) -> None:
    """Skipped (``skip_unless``) or on a branch not every path takes: the answer may be null."""
    assert not _constant(tmp_path, 'answers.situation.move in ["within_monaco", "abroad"]',
                         skippable=skippable, branch=branch)


@pytest.mark.parametrize(("when", "constant"), [
    ('answers.situation.move == "abroad" and answers.situation.move == "within_monaco"', True),
    ('answers.situation.move == "abroad" or answers.situation.move != "abroad"', True),
    ('household.has_spouse or not household.has_spouse', True),  # "not null" is true
    ('household.has_spouse or household.has_spouse == false', False),  # null: false
    ('household.has_spouse == true or household.has_spouse != true', True),
    ('answers.situation.move == "abroad"', False),
    ("answers.situation.people > 30", False),  # a number: not decidable, never reported
    ("len(answers.situation.move) > 100", True),  # len of known values: decided too
])
def test_constant_conditions_are_found_where_decidable(tmp_path: Path, when: str,
                                                       constant: bool) -> None:
    assert _constant(tmp_path, when) is constant


def test_a_guarded_read_of_a_skippable_answer_is_not_reported(tmp_path: Path) -> None:
    found = _warnings(_tree(tmp_path, "skippable_field_read"), "skippable_field_read")
    assert [p.pointer for p in found] == ["/lifecycle/initial/0/when"]


def test_a_step_reading_a_skippable_answer_in_shows_is_reported(tmp_path: Path) -> None:
    steps = ("  situation:\n    form: situation\n    skip_unless: household.has_spouse\n"
             "    next: own_income\n"
             "  own_income:\n    form: income\n    shows:\n"
             "      - label: {fr: Personnes, en: People}\n"
             "        value: answers.situation.people\n    next: summary\n")
    found = _warnings(_tree(tmp_path, "branching", _workflow(steps)), "skippable_field_read")
    assert [(p.pointer, p.severity) for p in found] == [
        ("/steps/own_income/shows/0/value", "warning")]


def test_without_roles_yaml_roles_are_not_checked(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "unknown_role")
    (tree / "roles.yaml").unlink()
    assert load_definitions(tree).report.problems == []


def test_a_broken_roles_yaml_is_reported_against_its_meta_schema(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "unknown_role")
    (tree / "roles.yaml").write_text("roles:\n  Registration: {title: {fr: I}}\n", "utf-8")
    codes = {(p.file, p.code) for p in load_definitions(tree).report.problems}
    assert {("roles.yaml", "invalid_name"), ("roles.yaml", "missing_text")} <= codes


def test_warnings_do_not_fail_and_carry_their_severity_in_json(tmp_path: Path) -> None:
    report = load_definitions(CASES / "invalid" / "unused_form").report
    assert report.ok and not report.errors
    [problem] = json.loads(report.as_json("en"))["problems"]
    assert (problem["code"], problem["severity"]) == ("unused_form", "warning")
    assert report.as_text("en").splitlines()[-1] == "ok, 1 warning(s)"


def test_a_workflow_that_cannot_be_read_hides_unused_forms(tmp_path: Path) -> None:
    tree = _tree(tmp_path, "unused_form")
    workflow = next((tree / "workflows").glob("*.yaml"))
    workflow.write_text(workflow.read_text("utf-8") + "unknown_key: 1\n", "utf-8")
    assert "unused_form" not in {p.code for p in load_definitions(tree).report.problems}
