"""A submission's page in the back office, and the staff actions taken from it.

The page shows the answers as the member's review page does, with the labels of the definition
version the member used; the history (every audit entry); and one button per transition the
staff member may take now (their role, the current state), with a comment field that becomes
the reason a transition may require. Firing one goes through the engine
(:func:`engine.runtime.staff_transition`) by :meth:`web.submissions.Submissions.act`, exactly as
the staff API does: the page never sets a status. A page read before another staff member acted
carries an old revision: the action is refused with "this file changed, reload" and nothing is
overwritten. An action with a ``form`` is taken on its own page
(:mod:`web.backoffice.transition_forms`); what such forms recorded is listed on the case page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from engine import ActionRefused, Message, SubmissionState, Workflow, review
from engine import runtime as engine
from engine.review import display
from web.audience import audience
from web.backoffice import bp
from web.backoffice.signin import staff, staff_required
from web.current import db, submissions
from web.db.models import Account, Person, Submission
from web.errors import STALE, ApiProblem
from web.history import history
from web.i18n import current_language
from web.labels import status_label
from web.producers import ProduceRefused
from web.receipts import receipt_download
from web.security_log import security_event
from web.submissions import Actor, Submissions

MAX_COMMENT = 2000
BAD_FORM = Message("Le formulaire envoyé est incomplet : rechargez la page et recommencez.",
                   "The form sent is incomplete: reload the page and try again.")
TOO_LONG = Message(f"Le commentaire ne peut dépasser {MAX_COMMENT} caractères.",
                   f"The comment cannot be longer than {MAX_COMMENT} characters.")


@bp.get("/submissions/<submission_id>")
@audience("staff")
@staff_required
def case(submission_id: str) -> str:
    service, me = submissions(), staff()
    row = service.load(me, submission_id)
    return _page(service, me, row)


@bp.post("/submissions/<submission_id>/transitions")
@audience("staff")
@staff_required
def fire(submission_id: str) -> Response | tuple[str, int]:
    service, me, lang = submissions(), staff(), current_language()
    row = service.load(me, submission_id, for_update=True)
    name = request.form.get("transition", "")
    comment = request.form.get("comment", "")
    chosen = service.definition(row).lifecycle.transition(name)
    if chosen is not None and chosen.form is not None:  # fired from its form's page, with data
        return redirect(url_for("backoffice.transition_form", submission_id=submission_id,
                                name=name), 303)
    try:
        revision = int(request.form.get("revision", ""))
    except ValueError:
        return _page(service, me, row, error=BAD_FORM.text(lang), comment=comment), 400
    if len(comment) > MAX_COMMENT:
        return _page(service, me, row, error=TOO_LONG.text(lang), comment=comment), 422
    try:
        outcome = service.act(me, row, lambda wf, st, ctx: engine.staff_transition(
            wf, st, name, me.roles, comment), revision)
        db().commit()
    except StaleDataError:
        db().rollback()
        return _stale(service, me, submission_id, comment)
    except ProduceRefused as refused:  # what the transition produces cannot be made: no change
        db().rollback()
        security_event("staff_action_refused", account_id=me.account.id,
                       submission_id=submission_id, transition=name[:63], reason=refused.code)
        row = service.load(me, submission_id)
        return _page(service, me, row, error=refused.message.text(lang),
                     comment=comment), refused.status
    except ApiProblem as problem:
        db().rollback()
        if problem.code == "stale_revision":
            return _stale(service, me, submission_id, comment)
        raise
    except ActionRefused as refused:
        db().rollback()
        security_event("staff_action_refused", account_id=me.account.id,
                       submission_id=submission_id, transition=name[:63], reason=refused.code)
        row = service.load(me, submission_id)
        status = 403 if refused.code == "role_required" else 422
        return _page(service, me, row, error=refused.message.text(lang), comment=comment), status
    security_event("staff_decision", account_id=me.account.id, submission_id=submission_id,
                   transition=name, status=outcome.state.status)
    wf = service.definition(row)
    done = wf.lifecycle.transition(name)
    flash(_("Done: %(action)s. The file is now “%(status)s”.",
            action=done.title.text(lang) if done else name,
            status=status_label(wf, outcome.state.status, lang)), "success")
    return redirect(url_for("backoffice.case", submission_id=submission_id), 303)


@bp.get("/submissions/<submission_id>/receipt.pdf")
@audience("staff")
@staff_required
def receipt(submission_id: str) -> Response:
    service = submissions()
    row = service.load(staff(), submission_id)
    return receipt_download(service, row, current_language())


def _stale(service: Submissions, me: Actor, submission_id: str,
           comment: str) -> tuple[str, int]:
    row = service.load(me, submission_id)
    return _page(service, me, row, comment=comment, error=STALE.text(current_language())), 409


def _page(service: Submissions, me: Actor, row: Submission, error: str | None = None,
          comment: str = "") -> str:
    lang = current_language()
    wf = service.definition(row)
    state = SubmissionState.from_json(row.state)
    answers = state.submitted or {}
    return render_template(
        "backoffice/case.html", row=row, wf=wf, wf_title=wf.title.text(lang),
        status_label=status_label(wf, row.status, lang), owner=_owner(row),
        sections=review(wf, answers, list(answers), lang, state.labels),
        records=record_views(wf, state.records, lang),
        history=history(service.session, wf, row.id, lang),
        actions=_actions(wf, row.status, me, lang), error=error, comment=comment,
        editing=state.editing, lang=lang)


def _actions(wf: Workflow, status: str, me: Actor, lang: str) -> list[dict[str, Any]]:
    """The transitions possible now that this staff member's roles allow."""
    return [{"name": t.name, "title": t.title.text(lang), "reason": t.reason, "form": t.form}
            for t in wf.lifecycle.transitions_from(status) if t.role in me.roles]


def record_views(wf: Workflow, records: tuple[Mapping[str, Any], ...],
                 lang: str) -> list[dict[str, Any]]:
    """What staff recorded with transitions that have a form (oldest first): the transition's
    title, the day, and the answers as (label, value) lines, written as the review page writes
    them (:func:`engine.review.display`)."""
    views = []
    for record in records:
        name = str(record.get("transition", ""))
        found = wf.lifecycle.transition(name)
        form = wf.forms.get(found.form) if found is not None and found.form else None
        data = record.get("data")
        views.append({"title": found.title.text(lang) if found is not None else name,
                      "on": display({"widget": "date"}, record.get("on"), lang),
                      "lines": list(_record_lines(form.fields, data, "", lang))
                      if form is not None and isinstance(data, Mapping) else []})
    return views


def _record_lines(fields: Mapping[str, Any], values: Mapping[str, Any], prefix: str,
                  lang: str) -> Iterator[tuple[str, str]]:
    for name, field in fields.items():
        if field.get("widget") == "hidden":  # kept for the service, not read by people
            continue
        label = prefix + str(field.get("label", {}).get(lang, name))
        value = values.get(name)
        if field.get("widget") != "repeat":
            yield label, display(field, value, lang)
            continue
        items = value if isinstance(value, list) else []
        if not items:
            yield label, "—"
        for i, item in enumerate(items):
            legend = str(field.get("item_label", {}).get(lang, "{n}")).replace("{n}", str(i + 1))
            yield from _record_lines(field.get("items", {}),
                                     item if isinstance(item, Mapping) else {},
                                     f"{legend} — ", lang)


def _owner(row: Submission) -> dict[str, str]:
    found = db().execute(select(Account.identifier, Account.display_name, Person.first_name,
                                Person.last_name)
                         .outerjoin(Person, Person.id == Account.person_id)
                         .where(Account.id == row.owner_id)).first()
    if found is None:
        return {"identifier": "", "name": ""}
    identifier, display, first, last = found
    name = f"{first} {last}" if first or last else (display or "")
    return {"identifier": identifier, "name": name}
