"""``/api/v1/workflows``: the procedures a caller may see, and starting one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for

from engine import unavailable
from web.api.common import actor, authenticated, db, json_body, submissions
from web.api.serialize import submission_json
from web.audience import audience
from web.i18n import current_language

bp = Blueprint("workflows", __name__)


@bp.get("/workflows")
@audience("member")
@authenticated
def list_workflows() -> dict[str, Any]:
    service, lang, me = submissions(), current_language(), actor()
    found = []
    for wf in service.catalog.all_current():
        if wf.audience != me.account.kind:
            continue
        failed = unavailable(wf, service.context(wf, me.account))
        found.append({"id": wf.id, "version": wf.version, "title": wf.title.text(lang),
                      "description": wf.description.text(lang) if wf.description else None,
                      "available": failed is None,
                      "reason": None if failed is None else {
                          "code": failed.code, "message": failed.message.text(lang)}})
    return {"workflows": found}


@bp.post("/workflows/<workflow_id>/submissions")
@audience("member")
@authenticated
def create(workflow_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = json_body(required=False)  # when given, JSON; ``subject`` when the workflow has one
    subject = body.get("subject") if isinstance(body, dict) else None
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        key = key.strip()[:200] or None
    service = submissions()
    row, created = service.create(actor(), workflow_id, key,
                                  subject=subject if isinstance(subject, str) else None)
    db().commit()
    body = submission_json(service, row, current_language())
    location = url_for("api.submissions.get_submission", submission_id=row.id)
    return body, 201, {"Location": location}
