"""A submission's own page (confirmation, status, answers, amend), its receipt, its documents."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import redirect, render_template, url_for
from flask_babel import format_datetime
from werkzeug.wrappers import Response

from engine import Message, SubmissionState, member_actions, review
from web.audience import audience
from web.current import db, services, submissions
from web.db.models import Notification
from web.errors import NOT_FOUND, ApiProblem
from web.history import member_history
from web.i18n import current_language
from web.labels import status_label
from web.notifications import for_account
from web.portal import bp
from web.portal.public import member_or_visitor
from web.portal.signin import member_required
from web.portal.steps import owned, step_url
from web.receipts import offered_download, receipt_download

SUBMITTED = Message("Votre démarche a bien été transmise.", "Your procedure has been submitted.")
NOT_AMENDABLE = Message("Votre démarche est en cours de traitement et ne peut plus être modifiée :"
                        " pour toute modification, contactez le service.",
                        "Your procedure is being processed and can no longer be changed: to"
                        " change it, contact the service.")


@bp.app_template_filter("datetime_local")
def datetime_local(value: datetime | str | None) -> str:
    """A moment in the fund's time zone (Europe/Monaco), written the reader's way."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return str(format_datetime(value, "medium"))


@bp.get("/submissions/<submission_id>")
@audience("public", "member", "employer")  # a visitor holding the key, or an account
@member_or_visitor
def submission(submission_id: str) -> Response | str:
    """A draft resumes at its step; a submitted procedure shows its status and answers."""
    service, lang = submissions(), current_language()
    row = owned(service, submission_id)
    wf = service.definition(row)
    state = SubmissionState.from_json(row.state)
    actions = member_actions(wf, state)
    if "answer" in actions:
        return redirect(step_url(row, state.step))
    if row.status == "cancelled":
        raise ApiProblem(404, "not_found", NOT_FOUND)
    answers = state.submitted or {}
    sections = review(wf, answers, list(answers), lang, state.labels)
    closed = row.status in wf.lifecycle.states and "amend" not in actions
    notice = wf.lifecycle.notices.get(row.status)
    messages = [note for note in for_account(service.session, row.owner_id)
                if note.submission_id == row.id] if row.owner_id else []
    _mark_read(messages)
    return render_template(
        "portal/submission.html", row=row, wf_title=wf.title.text(lang), sections=sections,
        status_label=status_label(wf, row.status, lang), can_amend="amend" in actions,
        notice=notice.text(lang) if notice else None, messages=messages, lang=lang,
        history=member_history(service.session, wf, row.id, lang),
        confirmation=wf.message("submitted", SUBMITTED).text(lang)
        if row.status in wf.lifecycle.initial_states else None,
        offers=[(doc, wf.documents[doc].title.text(lang))
                for doc in wf.lifecycle.offers.get(row.status, ())],
        another=wf.messages["another"].text(lang)
        if "another" in wf.messages and wf.one_per is None else None,
        start_key=secrets.token_urlsafe(16),
        closed_message=wf.message("not_amendable", NOT_AMENDABLE).text(lang) if closed else None)


def _mark_read(messages: list[Notification]) -> None:
    """The member has now seen these messages (on their own page: never staff's reading)."""
    unread = [note for note in messages if note.read_at is None]
    if unread:
        now = services().clock.now()
        for note in unread:
            note.read_at = now
        db().commit()


@bp.get("/submissions/<submission_id>/receipt.pdf")
@audience("public", "member", "employer")  # a visitor holding the key, or an account
@member_or_visitor
def receipt(submission_id: str) -> Response:
    service = submissions()
    row = owned(service, submission_id)
    return receipt_download(service, row, current_language())


@bp.get("/submissions/<submission_id>/documents/<name>")
@audience("public", "member", "employer")  # a visitor holding the key, or an account
@member_or_visitor
def document(submission_id: str, name: str) -> str:
    """A document of the procedure (e.g. its terms of use). Opening it is recorded by the step
    page's button, which leads here."""
    service, lang = submissions(), current_language()
    row = owned(service, submission_id)
    wf = service.definition(row)
    found = wf.documents.get(name)
    if found is None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    state = SubmissionState.from_json(row.state)
    back = step_url(row, state.step) if state.step else \
        url_for("portal.submission", submission_id=row.id)
    return render_template("portal/document.html", row=row, wf_title=wf.title.text(lang),
                           title=found.title.text(lang),
                           paragraphs=[p for p in found.body.text(lang).split("\n") if p.strip()],
                           back=back)


@bp.get("/submissions/<submission_id>/documents/<name>.pdf")
@audience("member")
@member_required
def offered_document(submission_id: str, name: str) -> Response:
    """A document the submission's current state ``offers`` (e.g. the change-of-address form)."""
    service = submissions()
    return offered_download(service, owned(service, submission_id), name, current_language())
