"""What the pages and the API share about a CSV upload (``upload: csv``, engine/tables.py):
which form a field belongs to, the step's answers with the uploaded rows, the step's refusal at
the file's lines and columns."""

from __future__ import annotations

from typing import Any

from engine import StepInvalid, SubmissionState, Workflow
from engine.definitions import Form
from engine.tables import CellError, TableRead, locate
from web.errors import NOT_FOUND, ApiProblem


def upload_form(wf: Workflow, step: str, field: str) -> Form:
    """The step's form when ``field`` is one of its CSV uploads; 404 otherwise."""
    form = wf.form_of(step) if step in wf.steps else None
    if form is None or (form.fields.get(field) or {}).get("upload") != "csv":
        raise ApiProblem(404, "not_found", NOT_FOUND)
    return form


def with_rows(state: SubmissionState, step: str, field: str,
              rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The step's current answers with ``field`` replaced by the uploaded rows."""
    return {**(state.data.get(step) or {}), field: rows}


def rule_errors(invalid: StepInvalid, field: str, read: TableRead) -> list[CellError]:
    """The step's refusal at the file's lines and columns; errors about other fields of the
    step (which the file cannot fix) at line 0."""
    found = locate(invalid.errors, field, read.lines, read.groups)
    prefix = f"/{field}"
    found.extend(CellError(0, "", e.code, e.message) for e in invalid.errors
                 if e.path != prefix and not e.path.startswith(prefix + "/"))
    return found
