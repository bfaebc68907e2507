"""JSON shapes of the API (one function per resource, so every endpoint says the same thing)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from engine import SubmissionState, Workflow, member_actions
from web.db.models import Submission
from web.labels import status_label
from web.submissions import Submissions


def submission_json(service: Submissions, row: Submission, lang: str,
                    staff: bool = False) -> dict[str, Any]:
    wf = service.definition(row)
    state = SubmissionState.from_json(row.state)
    body: dict[str, Any] = {
        "id": row.id, "workflow": row.workflow, "version": row.version,
        "title": wf.title.text(lang), "status": row.status,
        "status_label": status_label(wf, row.status, lang), "step": row.step,
        "steps": service.current_path(row) if row.status == "draft" or state.editing else [],
        "editing": state.editing, "data": state.data, "submitted": state.submitted,
        "documents_opened": list(state.opened),
        "actions": [] if staff else member_actions(wf, state),
        "revision": row.revision, "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
    }
    if row.receipt_number:
        body["receipt"] = {"number": row.receipt_number,
                           "url": url_for("api.submissions.receipt_pdf", submission_id=row.id)}
    if staff:
        body["transitions"] = [t.name for t in wf.lifecycle.transitions
                               if row.status in t.sources]
    return body


def step_json(wf: Workflow, state: SubmissionState, name: str, lang: str) -> dict[str, Any]:
    step = wf.steps[name]
    form = wf.form_of(name)
    return {"step": name, "title": step.title.text(lang), "review": step.review,
            "help": form.help.text(lang) if form and form.help else None,
            "schema": form.schema if form else None, "ui": form.fields if form else None,
            "data": state.data.get(name)}
