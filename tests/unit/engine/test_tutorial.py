"""docs/tutorial.md works: its YAML, applied to a copy of the definitions, checks ``ok``, its
scenario passes, the diagram shows the new step, and the old scenarios fail as the page says.

The page marks the blocks to apply with HTML comments before a fenced block:
``<!-- tutorial-file: PATH -->`` (the whole new file), ``<!-- tutorial-before: PATH -->`` then
``<!-- tutorial-after: PATH -->`` (text replaced in the file, found exactly once). The form comes
from the worked example "Add a step" of docs/workflow-language.md, which the page links to.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from engine.__main__ import main
from engine.loading import load_definitions
from engine.scenarios import run_scenario

ROOT = Path(__file__).resolve().parents[3]
TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"<!-- tutorial-(file|before|after): (\S+) -->\n```[a-z]*\n(.*?)```", re.S)
SCENARIO = "workflows/tests/resource_declaration/household_changes.yaml"


def form_of_the_worked_example() -> str:
    text = (ROOT / "docs" / "workflow-language.md").read_text("utf-8")
    section = text.split("### Add a step", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "docs/workflow-language.md: no YAML block under 'Add a step'"
    lines = block.group(1).splitlines(keepends=True)
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "".join(line[indent:] for line in lines)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tutorial")
    for folder in ("workflows", "forms", "contexts", "catalogues"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, root / folder)
    (root / "forms" / "household_changes.yaml").write_text(form_of_the_worked_example(), "utf-8")
    blocks = BLOCK.findall(TUTORIAL.read_text("utf-8"))
    assert [kind for kind, _, _ in blocks] == ["before", "after", "before", "after", "file"]
    before = ""
    for kind, rel, text in blocks:
        path = root / rel
        if kind == "file":
            path.write_text(text, "utf-8")
        elif kind == "before":
            before = text
        else:
            current = path.read_text("utf-8")
            assert current.count(before) == 1, (
                f"docs/tutorial.md: {rel} no longer holds this text exactly once; update the "
                f"page's 'before' block:\n{before}")
            path.write_text(current.replace(before, text), "utf-8")
    return root


def test_check_is_ok(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tree)]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out == "ok\n"


def test_the_new_scenario_passes(tree: Path) -> None:
    result = run_scenario(tree / SCENARIO, load_definitions(tree))
    assert result.ok, [failure.text("en") for failure in result.failures]


def test_scenarios_command_fails_only_on_the_old_paths(tree: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", str(tree)]) == 1  # as the page says: the old paths must be updated
    out = capsys.readouterr().out
    failures = [line for line in out.splitlines() if "/workflows/tests/" in line]
    failing = {line.split(":")[0].split("/workflows/tests/")[1] for line in failures}
    assert failing and SCENARIO.removeprefix("workflows/tests/") not in failing
    assert any(name.startswith("resource_declaration/") for name in failing)
    assert any("obtenu [changes]" in line or "not_ready" in line for line in failures)


def test_the_diagram_shows_the_new_step(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "resource_declaration", str(tree)]) == 0
    out = capsys.readouterr().out
    assert "(resource_declaration v3)" in out and "changes" in out
