"""JSON shapes of the API (one function per resource, so every endpoint says the same thing)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from engine import Context, SubmissionState, Workflow, choices, member_actions, shown
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
    offers = wf.lifecycle.offers.get(row.status, ())
    if offers:
        body["offers"] = [{"document": doc, "title": wf.documents[doc].title.text(lang),
                           "url": url_for("api.submissions.offered_document_pdf",
                                          submission_id=row.id, name=doc)} for doc in offers]
    if staff:
        body["transitions"] = [t.name for t in wf.lifecycle.transitions
                               if row.status in t.sources]
        body["records"] = [dict(r) for r in state.records]  # what transitions' forms recorded
    return body


def step_json(wf: Workflow, state: SubmissionState, name: str, lang: str,
              context: Context) -> dict[str, Any]:
    """A step as the app draws it: its form (schema and ``ui``), what it ``shows`` from the
    host data, and the ``choices`` of its dynamic-choice fields, computed for this member now."""
    step = wf.steps[name]
    form = wf.form_of(name)
    return {"step": name, "title": step.title.text(lang), "review": step.review,
            "help": form.help.text(lang) if form and form.help else None,
            "schema": form.schema if form else None, "ui": form.fields if form else None,
            "shows": [{"label": label.text(lang), "value": value}
                      for label, value in shown(wf, state, name, context)],
            "choices": {field: [{"value": c.value, "label": c.en if lang == "en" else c.fr}
                                for c in offered]
                        for field, offered in choices(wf, state, name, context).items()},
            "data": state.data.get(name)}
