"""engine.coverage: the branches the scenario files go through, and those none covers.

The shipped procedures are fully covered; a branch added on purpose in a copy of the definitions,
with no scenario for it, is named with its file and line, and ``--require-coverage`` makes it an
error.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.__main__ import main
from engine.coverage import Coverage, branches, report, walk
from engine.definitions import Workflow
from engine.loading import LoadResult, load_definitions
from engine.runtime import Context, path
from engine.scenarios import find_scenarios, run_scenario
from engine.state import Answers

ROOT = Path(__file__).resolve().parents[3]
SHIPPED_PROCEDURES = tuple(sorted(p.stem for p in (ROOT / "workflows").glob("*.yaml")))
"""Every procedure in workflows/ (a new one must ship with scenarios covering it)."""


@pytest.fixture(scope="module")
def definitions() -> LoadResult:
    return load_definitions(ROOT)


class _Checked(Coverage):
    """Checks on every move that the coverage walk finds the runtime's own path."""

    walks = 0

    def moved(self, wf: Workflow, data: Answers, context: Context) -> None:
        assert walk(wf, data, context) == path(wf, data, context)
        _Checked.walks += 1
        super().moved(wf, data, context)


def test_the_walk_is_the_runtimes_path_on_every_shipped_move(definitions: LoadResult) -> None:
    seen = _Checked()
    for file in find_scenarios(ROOT):
        run_scenario(file, definitions, seen)
    assert _Checked.walks > 50


@pytest.mark.parametrize("name", SHIPPED_PROCEDURES)
def test_the_shipped_procedures_are_fully_covered(name: str, definitions: LoadResult) -> None:
    seen = Coverage()
    for file in find_scenarios(ROOT):
        run_scenario(file, definitions, seen)
    wf = definitions.current()[name]
    found = report(ROOT, [wf], seen)
    assert [u.text("en") for u in found.uncovered] == []
    assert found.covered == found.total == len(branches(wf)) > 0


def test_the_branches_of_the_resource_declaration(definitions: LoadResult) -> None:
    wf = definitions.current()["resource_declaration"]
    assert [b.key for b in branches(wf)] == [
        ("available", 0, True), ("available", 0, False),
        ("available", 1, True), ("available", 1, False),
        ("next", "situation", 0), ("next", "situation", 1),
        ("skip", "income_spouse", True), ("skip", "income_spouse", False),
        ("skip", "children", True), ("skip", "children", False),
        ("staff", "start_review"), ("staff", "request_documents"), ("staff", "accept"),
        ("staff", "reject")]


def test_conditional_initial_targets_are_branches(definitions: LoadResult) -> None:
    wf = definitions.current()["certificate_request"]
    initial = [b for b in branches(wf) if b.key[0] == "initial"]
    assert [(b.key, b.pointer, b.what.en) for b in initial] == [
        (("initial", 0), "/lifecycle/initial/0", "state “address_reported” when "
         "answers.address.status == \"wrong\" is never entered on submission"),
        (("initial", 1), "/lifecycle/initial/1",
         "state “received” (otherwise) is never entered on submission")]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the resource declaration and its scenarios, with one more conditional target
    (the terms lead straight to the summary for 1990's campaign) that no scenario takes."""
    for folder in ("forms", "contexts"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copytree(ROOT / "workflows" / "tests" / "resource_declaration",
                    tmp_path / "workflows" / "tests" / "resource_declaration")
    text = (ROOT / "workflows" / "resource_declaration.yaml").read_text(encoding="utf-8")
    plain = "    requires_opened: [cgu]\n    next: situation\n"
    assert text.count(plain) == 1
    text = text.replace(plain, "    requires_opened: [cgu]\n    next:\n      - to: summary\n"
                        "        when: campaign.year == 1990\n      - to: situation\n")
    (tmp_path / "workflows" / "resource_declaration.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _line_of(file: Path, text: str) -> int:
    lines = file.read_text(encoding="utf-8").splitlines()
    return lines.index(text) + 1


def test_an_uncovered_branch_is_named_with_its_file_and_line(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tree)]) == 0
    capsys.readouterr()
    assert main(["scenarios", str(tree), "--lang", "en"]) == 0  # reported, not an error
    out = capsys.readouterr().out.splitlines()
    workflow = tree / "workflows" / "resource_declaration.yaml"
    line = _line_of(workflow, "      - to: summary")
    assert out[0] == (f"{workflow}:{line}: uncovered: step “terms”: the way on to “summary” when "
                      "campaign.year == 1990 is never taken")
    assert out[1].startswith("8 of 8 scenarios passed (")
    assert out[2:] == ["branches: 15/16 covered"]


def test_require_coverage_makes_it_an_error(tree: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", str(tree), "--require-coverage"]) == 1
    out = capsys.readouterr().out.splitlines()
    line = _line_of(tree / "workflows" / "resource_declaration.yaml", "      - to: summary")
    assert out[0].endswith(f"resource_declaration.yaml:{line}: non couvert : étape « terms » : "
                           "la suite vers « summary » si campaign.year == 1990 n'est jamais prise")
    assert out[-1] == "branches : 15/16 couvertes"


def test_a_covered_tree_passes_with_require_coverage(tree: Path) -> None:
    (tree / "workflows" / "tests" / "resource_declaration" / "old_campaign.yaml").write_text("""\
workflow: resource_declaration
today: 1991-01-10
context:
  campaign: {year: 1990, open: true, recipient: true, children_section: false}
  household: {has_spouse: false}
steps:
  - open: cgu
  - answer: terms
    data: {accepted: true}
expect: {path: [terms, summary]}
""", encoding="utf-8")
    assert main(["scenarios", str(tree), "--require-coverage"]) == 0


def test_a_failing_scenario_keeps_its_file_and_line_before_the_coverage(
        tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tree / "workflows" / "tests" / "resource_declaration" / "single_member.yaml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace("  step: summary\n", "  step: observations\n"),
                        encoding="utf-8")
    assert main(["scenarios", str(tree), "--lang", "en", "--require-coverage"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"{scenario}:{_line_of(scenario, '  step: observations')}: expect step: "
                      "expected observations, got summary")
    assert ": uncovered: step “terms”" in out[1]
    assert out[-2].startswith("7 of 8 scenarios passed (")

