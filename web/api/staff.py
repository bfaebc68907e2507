"""``/api/v1/staff``: the processing queue and lifecycle transitions, for staff accounts only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine import Message
from engine import runtime as engine
from web.api.common import actor, authenticated, db, json_body, staff_only, submissions
from web.api.serialize import submission_json
from web.audience import audience
from web.backoffice.queue import QueueError, page, parse_filter
from web.db.models import Submission
from web.errors import STALE, ApiProblem
from web.i18n import current_language

bp = Blueprint("staff", __name__)


@bp.get("/staff/submissions")
@audience("staff")
@authenticated
@staff_only
def queue() -> dict[str, Any]:
    """The queue of the procedures the caller's roles act on, filtered by ``workflow``,
    ``status``, ``scope``, ``submitted_from``/``submitted_to`` (Monaco days, included), ``q``
    and ``sort``, one keyset page after ``cursor`` (``web.backoffice.queue``)."""
    service, me = submissions(), actor()
    visible = [wf.id for wf in service.visible_workflows(me)]
    asked = {w.strip() for w in request.args.get("workflow", "").split(",") if w.strip()}
    known = {wf.id for wf in service.catalog.all_current()}
    if (asked & known) - set(visible):  # another service's procedure: forbidden, not unknown
        raise ApiProblem(403, "role_required", Message(
            "Cette démarche est traitée par un autre service : votre rôle ne permet pas d'en"
            " voir les dossiers.",
            "This procedure is handled by another department: your role does not let you see"
            " its files."))
    try:
        found = page(db(), parse_filter(request.args, visible),
                     request.args.get("cursor") or None)
    except QueueError as error:
        raise ApiProblem(400, error.code, error.message) from error
    loaded = {row.id: row for row in db().scalars(select(Submission).where(
        Submission.id.in_([r.id for r in found.rows])))}
    lang = current_language()
    return {"submissions": [{**submission_json(service, loaded[r.id], lang, staff=True),
                             "owner": {"identifier": r.owner_identifier, "name": r.owner_name},
                             "scope": r.scope} for r in found.rows],
            "next_cursor": found.next_cursor}


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
    data = body.get("data")  # a transition with a ``form``: its answers, checked by the engine
    if data is not None and not isinstance(data, dict):
        raise ApiProblem(400, "invalid_transition_body", Message(
            "« data » doit être un objet : les réponses au formulaire de l'action.",
            "“data” must be an object: the answers to the action's form."))
    service, me = submissions(), actor()
    row = service.load(me, submission_id, for_update=True)
    name = body["name"]
    today = service.clock.today()
    try:  # answers to correct: StepInvalid, a 422 problem with ``errors`` (web.errors)
        service.act(me, row, lambda wf, st, ctx: engine.staff_transition(
            wf, st, name, me.roles, comment, data=data, on=today), body["revision"])
        db().commit()
    except StaleDataError as error:
        db().rollback()
        raise ApiProblem(409, "stale_revision", STALE) from error
    except Exception:
        db().rollback()
        raise
    return submission_json(service, row, current_language(), staff=True)
