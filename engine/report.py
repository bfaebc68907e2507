"""Definition problems, gathered all at once, and the ways to show them.

One result object (:class:`Report`), several reporters: plain text for the command line, JSON for
tools and the analyst pages. A problem is an ``error`` (the definitions cannot be used: the check
fails) or a ``warning`` (probably a mistake, shown but not failing: ``Report.ok`` stays true).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.errors import Message


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a definition file, located as precisely as we can."""

    file: str
    code: str
    message: Message
    pointer: str = ""
    line: int | None = None
    column: int | None = None
    severity: str = "error"  # or "warning"

    def as_json(self, lang: str = "fr") -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "pointer": self.pointer, "code": self.code, "severity": self.severity,
                "message": self.message.text(lang)}

    def as_text(self, lang: str = "fr") -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.line is not None and self.column is not None:
            where += f":{self.column}"
        pointer = f" [{self.pointer}]" if self.pointer else ""
        warning = "" if self.severity == "error" else \
            ("warning: " if lang == "en" else "avertissement : ")
        return f"{where}: {self.code}{pointer}: {warning}{self.message.text(lang)}"


@dataclass
class Report:
    """Every problem found while loading a set of definitions."""

    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No error: warnings alone do not make the definitions unusable."""
        return not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def sorted(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.code))

    def as_text(self, lang: str = "fr") -> str:
        """One line per problem, then the count of errors (or ``ok``) and of warnings."""
        if not self.problems:
            return "ok"
        lines = [p.as_text(lang) for p in self.sorted()]
        errors, warnings = len(self.errors), len(self.warnings)
        last = "ok" if not errors else \
            f"{errors} problème(s)" if lang != "en" else f"{errors} problem(s)"
        if warnings:
            last += f", {warnings} avertissement(s)" if lang != "en" else f", {warnings} warning(s)"
        lines.append(last)
        return "\n".join(lines)

    def as_json(self, lang: str = "fr") -> str:
        return json.dumps({"ok": self.ok, "problems": [p.as_json(lang) for p in self.sorted()]},
                          ensure_ascii=False, indent=2)
