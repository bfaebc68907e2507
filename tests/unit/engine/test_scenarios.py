"""engine.scenarios: every shipped scenario passes, and a wrong scenario fails at its file:line.

The failure tests write a small scenario in ``tmp_path`` and compare the exact lines a person
reads (``file:line: message``), one test row per kind of expectation.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import engine.scenarios
from engine.__main__ import main
from engine.loading import LoadResult, load_definitions
from engine.scenarios import ScenarioCrash, find_scenarios, run_scenario

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = find_scenarios(ROOT)

HEAD = """\
workflow: resource_declaration
today: 2026-11-23
context:
  campaign: {year: 2025, open: true, recipient: true, children_section: false}
  household: {has_spouse: false}
"""
TERMS = """\
  - open: cgu
  - answer: terms
    data: {accepted: true}
"""
BAD_INCOME = """\
  - answer: situation
    data: {code: none}
  - answer: income_declarant
    data:
      incomes: [{category: salary, amount: "12", months: 13}]
      total_months: 13
"""


@pytest.fixture(scope="module")
def definitions() -> LoadResult:
    result = load_definitions(ROOT)
    assert result.report.problems == []
    return result


def test_the_shipped_scenarios_are_found() -> None:
    assert len(SHIPPED) >= 5
    assert {p.parent.name for p in SHIPPED} >= {"certificate_request", "resource_declaration"}


@pytest.mark.parametrize("file", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenario_passes(file: Path, definitions: LoadResult) -> None:
    result = run_scenario(file, definitions)
    assert [f.text("en") for f in result.failures] == []
    assert result.ms < 100


def failures(tmp_path: Path, definitions: LoadResult, text: str, lang: str = "en") -> list[str]:
    file = tmp_path / "scenario.yaml"
    file.write_text(text, encoding="utf-8")
    prefix = f"{file}:"
    return [f.text(lang).removeprefix(prefix) for f in run_scenario(file, definitions).failures]


WRONG = [
    pytest.param(HEAD + "steps:\n" + TERMS + "expect:\n  path: [terms, summary]\n",
                 ["11: expect path [2]: expected [summary], got [situation]"], id="path"),
    pytest.param(HEAD + "steps:\n" + TERMS + "expect:\n  step: situation\n  status: submitted\n",
                 ["12: expect status: expected submitted, got draft"], id="status"),
    pytest.param(HEAD + "steps:\n" + TERMS + "expect:\n  events: [started, submitted]\n",
                 ["11: expect events [2]: expected [submitted], got [document_opened]"],
                 id="events"),
    pytest.param(HEAD + "steps:\n" + TERMS + BAD_INCOME,
                 ["12: answer income_declarant: expected no error, got /incomes/0/months: range,"
                  " /total_months: range"], id="unexpected-error"),
    pytest.param(HEAD + "steps:\n" + TERMS + BAD_INCOME +
                 "    expect_errors: [{path: /total_months, code: range}]\n",
                 ["16: answer income_declarant: expected errors /total_months: range, got "
                  "/incomes/0/months: range, /total_months: range"], id="other-errors"),
    pytest.param(HEAD + "steps:\n  - open: cgu\n  - answer: terms\n    data: {accepted: true}\n"
                 "    expect_errors: [{path: /accepted, code: document_not_opened}]\n",
                 ["10: answer terms: expected errors /accepted: document_not_opened, the move "
                  "succeeded"], id="missing-error"),
    pytest.param(HEAD + "steps:\n" + TERMS + "  - submit\n",
                 ["10: submit: refused (not_ready: Check your answers on the summary before "
                  "submitting.)"], id="unexpected-refusal"),
    pytest.param(HEAD + "steps:\n" + TERMS + "  - back:\n    expect_refused: not_ready\n",
                 ["11: back: expected refusal not_ready, the move succeeded"],
                 id="missing-refusal"),
    pytest.param(HEAD + "steps:\n" + TERMS + "  - jump: summary\n",
                 ["10: Unknown move jump: the possible moves are open, answer, back, submit, "
                  "cancel, amend, staff."], id="unknown-move"),
    pytest.param(HEAD + "steps:\n  - answer: terms\n    dta: {}\n",
                 ["8: Unknown key “dta”: the possible keys are answer, data, expect_errors, "
                  "expect_refused."], id="unknown-move-key"),
    pytest.param(HEAD + "expect:\n  colour: red\n",
                 ["7: Unknown key “colour”: the possible keys are unavailable, path, step, status,"
                  " summary, events."], id="unknown-expectation"),
    pytest.param(HEAD + "steps: []\nsteps: []\n",
                 ["7: The key “steps” appears twice (lines 6 and 7): each key may appear only "
                  "once."], id="yaml-error"),
]


@pytest.mark.parametrize(("text", "expected"), WRONG)
def test_a_wrong_scenario_fails_at_its_line(tmp_path: Path, definitions: LoadResult, text: str,
                                            expected: list[str]) -> None:
    assert failures(tmp_path, definitions, text) == expected


def test_an_unknown_workflow_fails_naming_the_loaded_ones(tmp_path: Path,
                                                         definitions: LoadResult) -> None:
    known = ", ".join(f"{w} v{v}" for w, v in sorted(definitions.workflows))
    assert "resource_declaration v2" in known
    text = HEAD.replace("resource_declaration", "resource") + "steps: []\n"
    assert failures(tmp_path, definitions, text) == [
        f"1: Unknown workflow “resource”: the loaded workflows are {known}."]


def test_summary_lines_are_compared_with_plain_spaces(tmp_path: Path,
                                                      definitions: LoadResult) -> None:
    text = HEAD + "steps:\n" + TERMS + """\
  - answer: situation
    data: {code: none}
  - answer: income_declarant
    data:
      incomes: [{category: salary, amount: "1200", months: 2}]
      total_months: 2
expect:
  summary:
    Vos revenus:
      - "Revenu n° 1 — Catégorie de revenus: Salaires"
      - "Revenu n° 1 — Montant annuel (€): 1 200,00 €"
      - "Revenu n° 1 — Nombre de mois: 3"
"""
    assert failures(tmp_path, definitions, text, "fr") == [
        "21: expect summary Vos revenus [3] : attendu [Revenu n° 1 — Nombre de mois: 3], "
        "obtenu [Revenu n° 1 — Nombre de mois: 2]"]


def test_a_closed_campaign_is_a_failure_unless_expected(tmp_path: Path,
                                                        definitions: LoadResult) -> None:
    closed = HEAD.replace("open: true", "open: false")
    assert failures(tmp_path, definitions, closed + "expect: {unavailable: campaign_closed}\n") \
        == []
    [failure] = failures(tmp_path, definitions, closed + "steps: [back]\n")
    assert failure.startswith("3: the procedure is not open: campaign_closed (")


def test_a_bug_during_a_move_is_a_crash_naming_the_move(
        tmp_path: Path, definitions: LoadResult, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr(engine.scenarios, "answer", broken)
    file = tmp_path / "scenario.yaml"
    file.write_text(HEAD + "steps:\n" + TERMS, encoding="utf-8")
    with pytest.raises(ScenarioCrash) as caught:
        run_scenario(file, definitions)
    assert (caught.value.file, caught.value.line) == (str(file), 8)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the definitions with one passing scenario."""
    for folder in ("forms", "contexts"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "workflows" / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "workflows" / "resource_declaration.yaml", tmp_path / "workflows")
    (tmp_path / "workflows" / "tests" / "a.yaml").write_text(
        HEAD + "steps:\n" + TERMS + "expect: {step: situation}\n", encoding="utf-8")
    return tmp_path


def test_cli_exit_0_when_every_scenario_passes(tree: Path, capsys: pytest.CaptureFixture[str]
                                               ) -> None:
    assert main(["scenarios", str(tree), "--lang", "en", "-v"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{tree}/workflows/tests/a.yaml: ok (")
    assert out[-2].startswith("1 of 1 scenarios passed (")  # after the uncovered branches
    assert out[-1] == "branches: 2/14 covered"  # the two availability requirements met


def test_cli_exit_1_when_a_scenario_fails(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "workflows" / "tests" / "b.yaml").write_text(HEAD + "expect: {step: summary}\n",
                                                         encoding="utf-8")
    assert main(["scenarios", str(tree), "--lang", "en"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{tree}/workflows/tests/b.yaml:6: expect step: expected summary, got terms"
    assert all(": uncovered: " in line for line in out[1:-2])
    assert out[-2].startswith("1 of 2 scenarios passed (")


def test_cli_exit_1_when_there_is_no_scenario(tree: Path) -> None:
    (tree / "workflows" / "tests" / "a.yaml").unlink()
    assert main(["scenarios", str(tree)]) == 1


def test_cli_exit_2_on_a_crash(tree: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr(engine.scenarios, "answer", broken)
    assert main(["scenarios", str(tree)]) == 2
    assert capsys.readouterr().err.startswith(
        f"internal error in scenario {tree}/workflows/tests/a.yaml:8: ZeroDivisionError()")


def test_scenarios_are_not_read_as_workflows(tree: Path) -> None:
    assert main(["check", str(tree)]) == 0
