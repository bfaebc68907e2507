"""A staff transition that has a form (``form:`` in the lifecycle): its page, and its records.

The case page's button of such a transition leads here: the form is drawn by the very machinery
of the member's step pages (:mod:`web.portal.forms`, :mod:`web.portal.layout`, the macros of
``portal/fields.html``), repeating groups grow and shrink without JavaScript
(``action=add:lines``, ``remove:lines-0``), and "Save" fires the transition through the engine
(:func:`engine.runtime.staff_transition` with the answers), which checks them against the form
and keeps them in the submission's ``records``. Answers to correct come back next to their
fields (422) and nothing is stored. The revision read with the page is the optimistic lock, as
for the case page's other actions.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from engine import ActionRefused, Form, StepInvalid, SubmissionState, Workflow
from engine import runtime as engine
from engine.definitions import StaffTransition
from web.audience import audience
from web.backoffice import bp
from web.backoffice.cases import BAD_FORM, MAX_COMMENT, TOO_LONG, _page
from web.backoffice.signin import staff, staff_required
from web.current import db, services, submissions
from web.db.models import Submission
from web.errors import NOT_FOUND, STALE, ApiProblem
from web.i18n import current_language
from web.labels import status_label
from web.portal.forms import (
    PlacedErrors,
    StepForm,
    change_list,
    make_form,
    place_errors,
    read_answers,
)
from web.portal.layout import present
from web.producers import ProduceRefused
from web.security_log import security_event
from web.submissions import Actor, Submissions

TOP = "transition-form"
"""The id of the page's form: where an error that belongs to no field links to."""


@bp.get("/submissions/<submission_id>/transitions/<name>")
@audience("staff")
@staff_required
def transition_form(submission_id: str, name: str) -> str | tuple[str, int]:
    service, me, lang = submissions(), staff(), current_language()
    row = service.load(me, submission_id)
    wf = service.definition(row)
    found, form = _form_of(wf, name)
    try:  # the engine's refusals (role, state) before the page: nothing is stored here
        engine.staff_transition(wf, SubmissionState.from_json(row.state), name, me.roles,
                                "-", data=None)
    except StepInvalid:
        pass  # expected: the form is still to fill in
    except ActionRefused as refused:
        status = 403 if refused.code == "role_required" else 422
        return _page(service, me, row, error=refused.message.text(lang)), status
    return _form_page(row, wf, found, form, make_form(form, lang), PlacedErrors(),
                      revision=row.revision)


@bp.post("/submissions/<submission_id>/transitions/<name>")
@audience("staff")
@staff_required
def save_transition_form(submission_id: str, name: str) -> Response | tuple[str, int] | str:
    service, me, lang = submissions(), staff(), current_language()
    row = service.load(me, submission_id, for_update=True)
    wf = service.definition(row)
    found, form = _form_of(wf, name)
    bound = make_form(form, lang, formdata=request.form)
    action = request.form.get("action", "save")
    comment = request.form.get("comment", "")
    try:
        revision = int(request.form.get("revision", ""))
    except ValueError:
        return _form_page(row, wf, found, form, bound, _one(BAD_FORM.text(lang)),
                          revision=row.revision, comment=comment), 400
    if action.startswith(("add:", "remove:")):
        changed = change_list(form, lang, bound, action)
        return _form_page(row, wf, found, form, changed.form if changed else bound,
                          PlacedErrors(), revision=revision, comment=comment,
                          focus=changed.focus if changed else None)
    if len(comment) > MAX_COMMENT:
        return _form_page(row, wf, found, form, bound, _one(TOO_LONG.text(lang), "comment"),
                          revision=revision, comment=comment), 422
    data = read_answers(bound, form.fields, form.schema)
    today = services().clock.today()
    try:
        outcome = service.act(me, row, lambda w, st, ctx: engine.staff_transition(
            w, st, name, me.roles, comment, data=data, on=today), revision)
        db().commit()
    except StepInvalid as invalid:
        db().rollback()
        row = service.load(me, submission_id)
        return _form_page(row, wf, found, form, bound,
                          place_errors(bound, invalid.errors, lang, top=TOP),
                          revision=revision, comment=comment), 422
    except StaleDataError:
        db().rollback()
        return _stale(service, me, submission_id, wf, found, form, bound, comment)
    except ProduceRefused as refused:  # what the transition produces cannot be made
        return _refused(service, me, submission_id, name, refused.code,
                        refused.message.text(lang), refused.status)
    except ApiProblem as problem:
        db().rollback()
        if problem.code == "stale_revision":
            return _stale(service, me, submission_id, wf, found, form, bound, comment)
        raise
    except ActionRefused as refused:
        return _refused(service, me, submission_id, name, refused.code,
                        refused.message.text(lang),
                        403 if refused.code == "role_required" else 422)
    security_event("staff_decision", account_id=me.account.id, submission_id=submission_id,
                   transition=name, status=outcome.state.status)
    flash(_("Done: %(action)s. The file is now “%(status)s”.",
            action=found.title.text(lang),
            status=status_label(wf, outcome.state.status, lang)), "success")
    return redirect(url_for("backoffice.case", submission_id=submission_id), 303)


def _form_of(wf: Workflow, name: str) -> tuple[StaffTransition, Form]:
    """The transition and its form; 404 for a transition that does not exist or has no form
    (those are fired from the case page)."""
    found = wf.lifecycle.transition(name)
    if found is None or found.form is None or found.form not in wf.forms:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    return found, wf.forms[found.form]


def _refused(service: Submissions, me: Actor, submission_id: str, name: str, code: str,
             message: str, status: int) -> tuple[str, int]:
    """Refused (role, state, what it produces): nothing saved, the case page says why."""
    db().rollback()
    security_event("staff_action_refused", account_id=me.account.id,
                   submission_id=submission_id, transition=name[:63], reason=code)
    return _page(service, me, service.load(me, submission_id), error=message), status


def _one(message: str, anchor: str = TOP) -> PlacedErrors:
    return PlacedErrors(by_field={"" if anchor == TOP else anchor: [message]},
                        summary=[(anchor, message)])


def _stale(service: Submissions, me: Actor, submission_id: str, wf: Workflow,
           found: StaffTransition, form: Form, bound: StepForm,
           comment: str) -> tuple[str, int]:
    """Another staff member acted meanwhile: the answers stay, with the newer revision and
    "this file changed"; saving again is a decision taken knowingly."""
    row = service.load(me, submission_id)
    return _form_page(row, wf, found, form, bound, _one(STALE.text(current_language())),
                      revision=row.revision, comment=comment), 409


def _form_page(row: Submission, wf: Workflow, found: StaffTransition, form: Form,
               bound: StepForm, errors: PlacedErrors, revision: int, comment: str = "",
               focus: str | None = None) -> str:
    lang = current_language()
    return render_template(
        "backoffice/transition_form.html", row=row, wf_title=wf.title.text(lang),
        name=found.name, title=found.title.text(lang), reason=found.reason,
        help=form.help.text(lang) if form.help else "",
        fields=present(bound, form.fields, form.schema, lang, errors, focus),
        errors=errors, revision=revision, comment=comment, documents={}, top=TOP,
        comment_error=" ".join(errors.by_field.get("comment", [])))
