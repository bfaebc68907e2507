"""``/api/v1/submissions``: a member's own submissions, their steps and actions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy.orm.exc import StaleDataError

from engine import Message, StepInvalid, SubmissionState
from engine import runtime as engine
from engine.tables import CellError, read_table
from web.api.common import actor, authenticated, db, json_body, submissions
from web.api.serialize import step_json, submission_json
from web.audience import audience
from web.db.models import Account
from web.errors import NOT_FOUND, STALE, ApiProblem, problem
from web.i18n import current_language
from web.receipts import offered_download, receipt_download
from web.submissions import Action
from web.uploads import rule_errors, upload_form, with_rows

bp = Blueprint("submissions", __name__)



@bp.get("/submissions")
@audience("member")
@authenticated
def list_submissions() -> dict[str, Any]:
    service, lang = submissions(), current_language()
    return {"submissions": [submission_json(service, row, lang)
                            for row in service.owned_by(actor())]}


@bp.get("/submissions/<submission_id>")
@audience("member", "staff")
@authenticated
def get_submission(submission_id: str) -> dict[str, Any]:
    service = submissions()
    row = service.load(actor(), submission_id)
    return submission_json(service, row, current_language(), staff=row.owner_id !=
                           actor().account.id)


@bp.get("/submissions/<submission_id>/steps/<step>")
@audience("member", "staff")
@authenticated
def get_step(submission_id: str, step: str) -> dict[str, Any]:
    service = submissions()
    row = service.load(actor(), submission_id)
    wf = service.definition(row)
    if step not in wf.steps:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    owner = service.session.get(Account, row.owner_id)
    assert owner is not None  # a foreign key
    state = SubmissionState.from_json(row.state)
    found = step_json(wf, state, step, current_language(),
                      service.context(wf, owner, subject=row.subject_id))
    if step not in state.data and wf.steps[step].prefill:  # what the answers may start from
        found["prefill"] = service.prefill(row, wf, state, step)
    return found


def _revision(body: Any) -> int | None:
    value = body.get("revision") if isinstance(body, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _run(submission_id: str, action: Action, revision: int | None,
         idempotent_submit: bool = False, fresh: bool = False) -> dict[str, Any]:
    service, me = submissions(), actor()
    row = service.load(me, submission_id, for_update=True)
    if row.owner_id != me.account.id:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    try:
        service.act(me, row, action, revision, fresh=fresh)
        db().commit()
    except StaleDataError as error:
        db().rollback()
        row = service.load(me, submission_id)
        if idempotent_submit and row.receipt_number and row.status != "draft":
            return submission_json(service, row, current_language())
        raise ApiProblem(409, "stale_revision", STALE, revision=row.revision) from error
    except engine.ActionRefused as error:
        db().rollback()
        if idempotent_submit and error.code == "already_submitted":
            row = service.load(me, submission_id)
            return submission_json(service, row, current_language())
        raise
    except Exception:
        db().rollback()
        raise
    return submission_json(service, row, current_language())


@bp.put("/submissions/<submission_id>/steps/<step>")
@audience("member")
@authenticated
def answer_step(submission_id: str, step: str) -> dict[str, Any]:
    submissions().load(actor(), submission_id)  # another's submission: 404 before anything
    body = json_body()
    if not isinstance(body, dict) or "data" not in body:
        raise ApiProblem(400, "missing_data", Message(
            "Le corps doit contenir « data » : les réponses de l'étape.",
            "The body must hold “data”: the step's answers."))
    data = body["data"]
    return _run(submission_id, lambda wf, st, ctx: engine.answer(wf, st, step, data, ctx),
                _revision(body))


INVALID_CSV = Message("Le fichier CSV contient des erreurs : rien n'a été enregistré.",
                      "The CSV file has errors: nothing was saved.")


def _invalid_csv(found: list[CellError]) -> Response:
    lang = current_language()
    response = problem(422, "invalid_csv", INVALID_CSV)
    body = json.loads(response.get_data(as_text=True))
    body["errors"] = [{"line": e.line, "column": e.column, "code": e.code,
                       "message": e.message.text(lang)} for e in found]
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


@bp.put("/submissions/<submission_id>/steps/<step>/upload/<field>")
@audience("member")
@authenticated
def upload_step(submission_id: str, step: str, field: str) -> dict[str, Any] | Response:
    """The rows of the step's ``upload: csv`` field from a CSV body (``text/csv``); the step's
    other answers are kept. Nothing is saved unless the whole file is valid: else 422
    ``invalid_csv`` with ``errors: [{line, column, code, message}]``. ``?revision=`` as the
    body's ``revision`` of answer_step."""
    service = submissions()
    row = service.load(actor(), submission_id)  # another's submission: 404 before anything
    if row.owner_id != actor().account.id:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    form = upload_form(service.definition(row), step, field)
    if request.mimetype != "text/csv":
        raise ApiProblem(415, "unsupported_media_type", Message(
            "Le corps de la requête doit être un fichier CSV (Content-Type: text/csv).",
            "The request body must be a CSV file (Content-Type: text/csv)."))
    read = read_table(form, field, request.get_data(cache=True))
    if read.errors:
        return _invalid_csv(read.errors)
    try:
        return _run(submission_id, lambda wf, st, ctx: engine.answer(
            wf, st, step, with_rows(st, step, field, read.rows), ctx),
            request.args.get("revision", type=int))
    except StepInvalid as invalid:
        return _invalid_csv(rule_errors(invalid, field, read))


def _simple(fn: Callable[..., engine.Outcome], with_context: bool) -> Action:
    if with_context:
        return lambda wf, st, ctx: fn(wf, st, ctx)
    return lambda wf, st, ctx: fn(wf, st)


_ACTIONS: dict[str, tuple[Callable[..., engine.Outcome], bool]] = {
    "back": (engine.back, True), "cancel": (engine.cancel, False),
    "submit": (engine.submit, True), "amend": (engine.amend, False),
}


@bp.post("/submissions/<submission_id>/<any(back, cancel, submit, amend):action>")
@audience("member")
@authenticated
def act(submission_id: str, action: str) -> dict[str, Any]:
    body = json_body(required=False)
    fn, with_context = _ACTIONS[action]
    return _run(submission_id, _simple(fn, with_context), _revision(body),
                idempotent_submit=action == "submit",
                fresh=action in ("submit", "amend"))  # decisions read the registry afresh


@bp.post("/submissions/<submission_id>/documents/<name>")
@audience("member")
@authenticated
def open_document(submission_id: str, name: str) -> dict[str, Any]:
    """Record that the member opened a document (e.g. the terms of use) and return its text."""
    json_body(required=False)
    service = submissions()
    row = service.load(actor(), submission_id)
    wf = service.definition(row)
    document = wf.documents.get(name)
    if document is None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    _run(submission_id, lambda wf, st, ctx: engine.open_document(wf, st, name), None)
    lang = current_language()
    return {"document": name, "title": document.title.text(lang),
            "body": document.body.text(lang)}


@bp.get("/submissions/<submission_id>/receipt.pdf")
@audience("member", "staff")
@authenticated
def receipt_pdf(submission_id: str) -> Response:
    service = submissions()
    row = service.load(actor(), submission_id)
    return receipt_download(service, row, current_language())


@bp.get("/submissions/<submission_id>/documents/<name>.pdf")
@audience("member")
@authenticated
def offered_document_pdf(submission_id: str, name: str) -> Response:
    """A document the submission's current state ``offers`` (``offers`` in the submission), as
    a PDF in the request's language."""
    service = submissions()
    row = service.load(actor(), submission_id)
    if row.owner_id != actor().account.id:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    return offered_download(service, row, name, current_language())
