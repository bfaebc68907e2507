"""A running submission's state: plain, JSON-serialisable data with a format version.

Kept apart from the definitions. The web layer stores it in a row (revision = optimistic lock) and
hands it back to the engine on the next request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

STATE_FORMAT = 1

Answers = Mapping[str, Mapping[str, Any]]
Labels = Mapping[str, Mapping[str, Mapping[str, str]]]
"""By step and field: the ``fr`` and ``en`` label of the choice made in a dynamic-choice field."""


@dataclass(frozen=True)
class SubmissionState:
    workflow: str
    version: int
    step: str | None
    status: str = "draft"
    data: Answers = field(default_factory=dict)
    """Answers by step name, including steps a later change took off the path."""
    reached_review: bool = False
    editing: bool = False
    """True while the member amends an already submitted declaration."""
    opened: tuple[str, ...] = ()
    """Documents the member has opened (e.g. the terms of use)."""
    submitted: Answers | None = None
    """What was last submitted: only the steps on the path, frozen."""
    labels: Labels = field(default_factory=dict)
    """The labels of the choices made in dynamic-choice fields, as they were offered."""
    records: tuple[Mapping[str, Any], ...] = ()
    """What staff entered with a transition that has a ``form`` (a corrective declaration):
    ``{"transition", "on" (ISO date), "data"}``, oldest first."""

    def evolve(self, **changes: Any) -> SubmissionState:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "format": STATE_FORMAT, "workflow": self.workflow, "version": self.version,
            "step": self.step, "status": self.status,
            "data": {k: dict(v) for k, v in self.data.items()},
            "reached_review": self.reached_review, "editing": self.editing,
            "opened": list(self.opened),
            "submitted": None if self.submitted is None else
            {k: dict(v) for k, v in self.submitted.items()}}
        if self.records:  # absent when empty, as labels
            found["records"] = [dict(r) for r in self.records]
        if self.labels:  # absent when empty: states saved before labels existed look the same
            found["labels"] = {step: {name: dict(label) for name, label in fields.items()}
                               for step, fields in self.labels.items()}
        return found

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> SubmissionState:
        if raw.get("format") != STATE_FORMAT:  # the place for migrations of older formats
            raise ValueError(f"unknown submission state format {raw.get('format')!r}")
        return cls(workflow=raw["workflow"], version=int(raw["version"]), step=raw["step"],
                   status=raw["status"], data=raw["data"],
                   reached_review=bool(raw["reached_review"]), editing=bool(raw["editing"]),
                   opened=tuple(raw["opened"]), submitted=raw["submitted"],
                   labels=raw.get("labels") or {},
                   records=tuple(raw.get("records") or ()))
