"""The definitions check and the scenario run, as ``python -m engine check`` and ``python -m
engine scenarios`` do them, on the definitions folder the service runs (``DEFINITIONS_DIR``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import Report, load_definitions
from engine.coverage import Coverage, CoverageReport, measured
from engine.coverage import report as coverage_report
from engine.scenarios import ScenarioResult, find_scenarios, run_scenario


@dataclass(frozen=True)
class Checked:
    report: Report
    scenarios: tuple[ScenarioResult, ...]
    coverage: CoverageReport | None
    root: Path

    def relative(self, file: str) -> str:
        try:
            return str(Path(file).relative_to(self.root))
        except ValueError:
            return file


def run_checks(root: Path) -> Checked:
    """Every problem of the definitions under ``root``; then every scenario file, and the
    branches none covers (nothing is run when the definitions have problems)."""
    definitions = load_definitions(root)
    if not definitions.report.ok:
        return Checked(definitions.report, (), None, root)
    seen = Coverage()
    results = tuple(run_scenario(file, definitions, seen) for file in find_scenarios(root))
    branches = coverage_report(root, measured(definitions.current(), definitions.workflows, seen),
                               seen)
    return Checked(definitions.report, results, branches, root)


def check_json(report: Report, lang: str) -> dict[str, Any]:
    """The structure of ``python -m engine check --format json``."""
    return dict(json.loads(report.as_json(lang)))
