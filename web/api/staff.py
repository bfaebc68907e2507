"""``/api/v1/staff``: the processing queue and lifecycle transitions, for staff accounts only."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from flask import Blueprint, request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm.exc import StaleDataError

from engine import Message
from engine import runtime as engine
from web.api.common import actor, authenticated, db, json_body, staff_only, submissions
from web.api.serialize import submission_json
from web.audience import audience
from web.db.models import Account, Submission
from web.errors import STALE, ApiProblem
from web.i18n import current_language

bp = Blueprint("staff", __name__)
PAGE = 50
BAD_CURSOR = Message("Le curseur de pagination n'est pas valide.", "The page cursor is invalid.")


def _cursor(row: Submission) -> str:
    raw = f"{row.submitted_at.isoformat() if row.submitted_at else ''}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _after(cursor: str) -> tuple[datetime, str]:
    try:
        at, _, sid = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(at), sid
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ApiProblem(400, "invalid_cursor", BAD_CURSOR) from error


@bp.get("/staff/submissions")
@audience("staff")
@authenticated
@staff_only
def queue() -> dict[str, Any]:
    service, me = submissions(), actor()
    visible = [wf.id for wf in service.catalog.all_current()
               if me.roles & {t.role for t in wf.lifecycle.transitions}]
    query = select(Submission).where(Submission.workflow.in_(visible),
                                     Submission.status.not_in(["draft", "cancelled"]))
    if request.args.get("workflow"):
        query = query.where(Submission.workflow == request.args["workflow"])
    if request.args.get("status"):
        query = query.where(Submission.status == request.args["status"])
    if request.args.get("q"):
        q = request.args["q"].strip()[:80]
        owners = select(Account.id).where(Account.identifier == q)
        query = query.where(or_(Submission.receipt_number == q, Submission.owner_id.in_(owners)))
    if request.args.get("cursor"):
        at, sid = _after(request.args["cursor"])
        query = query.where(or_(Submission.submitted_at > at,
                                and_(Submission.submitted_at == at, Submission.id > sid)))
    rows = list(db().scalars(query.order_by(Submission.submitted_at, Submission.id)
                             .limit(PAGE + 1)))
    lang = current_language()
    page = rows[:PAGE]
    return {"submissions": [submission_json(service, r, lang, staff=True) for r in page],
            "next_cursor": _cursor(page[-1]) if len(rows) > PAGE else None}


@bp.post("/staff/submissions/<submission_id>/transitions")
@audience("staff")
@authenticated
@staff_only
def transition(submission_id: str) -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) \
            or not isinstance(body.get("revision"), int):
        raise ApiProblem(400, "invalid_transition_body", Message(
            "Indiquez « name » (l'action) et « revision » (la version lue).",
            "Give “name” (the action) and “revision” (the version you read)."))
    comment = body.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 2000):
        raise ApiProblem(400, "invalid_comment", Message(
            "Le commentaire doit être un texte de 2000 caractères au plus.",
            "The comment must be a text of at most 2000 characters."))
    service, me = submissions(), actor()
    row = service.load(me, submission_id, for_update=True)
    name = body["name"]
    try:
        service.act(me, row, lambda wf, st, ctx: engine.staff_transition(
            wf, st, name, me.roles), body["revision"])
        if comment:
            service.log(row, me, "comment", {"comment": comment})
        db().commit()
    except StaleDataError as error:
        db().rollback()
        raise ApiProblem(409, "stale_revision", STALE) from error
    except Exception:
        db().rollback()
        raise
    return submission_json(service, row, current_language(), staff=True)
