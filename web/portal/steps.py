"""Filling a procedure: one generic page per step, the review page, back, cancel, submit.

The engine decides everything (which step comes next, what is wrong, what may be done); these
views only turn a page's fields into answers, call it through :class:`web.submissions.Submissions`
(the API's own path) and draw the outcome. Every change is committed before the redirect, so a
draft is saved at every step and resumes anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask import (
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    stream_template,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from engine import (
    ActionRefused,
    FieldError,
    Message,
    NotAvailable,
    StepInvalid,
    SubmissionState,
    Workflow,
    member_actions,
    planned_path,
    review,
)
from engine import runtime as engine
from engine.definitions import Form, Text
from engine.tables import columns as table_columns
from web.audience import audience
from web.current import db, submissions
from web.db.models import Submission
from web.errors import NOT_FOUND, ApiProblem
from web.i18n import current_language
from web.portal import bp
from web.portal.forms import (
    PlacedErrors,
    change_list,
    make_form,
    place_errors,
    present_label,
    read_answers,
    set_choices,
)
from web.portal.layout import present
from web.portal.public import held_digest, member_or_visitor
from web.portal.signin import actor, current_actor, member_required
from web.submissions import Action, Submissions

CANCELLED = Message("Votre démarche a été annulée.", "Your procedure has been cancelled.")


@bp.post("/procedures/<workflow_id>/start")
@audience("member")
@member_required
def start(workflow_id: str) -> Response:
    """Start a procedure, or resume the member's own when there can be only one."""
    service = submissions()
    key = request.form.get("key", "").strip()[:200] or None  # a double click makes one draft
    try:
        row, _created = service.create(actor(), workflow_id, key)
    except NotAvailable as refused:
        flash(refused.message.text(current_language()), "error")
        return redirect(url_for("portal.home"))
    except ApiProblem as problem:
        db().rollback()
        existing = problem.extra.get("submission_id")
        if problem.code == "already_exists" and existing:
            return redirect(url_for("portal.submission", submission_id=existing))
        raise
    db().commit()
    return redirect(url_for("portal.submission", submission_id=row.id))


def owned(service: Submissions, submission_id: str, for_update: bool = False) -> Submission:
    """The member's own submission, or the visitor's one whose key their browser holds."""
    if current_actor() is None:  # member_or_visitor let a visitor in: their key decides
        return service.load_draft(submission_id, held_digest(submission_id),
                                  for_update=for_update)
    row = service.load(actor(), submission_id, for_update=for_update)
    if row.owner_id != actor().account.id:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    return row


def step_url(row: Submission, step: str | None) -> str:
    if step is None:
        return url_for("portal.submission", submission_id=row.id)
    return url_for("portal.step", submission_id=row.id, step=step)


def _act(service: Submissions, row: Submission, action: Action,
         fresh: bool = False) -> SubmissionState:
    """Run one engine action and commit it; a concurrent change (another tab, another device)
    is reported, never overwritten."""
    revision = request.form.get("revision", type=int)
    try:
        service.act(current_actor(), row, action, revision, fresh=fresh)
        db().commit()
    except Exception:
        db().rollback()
        raise
    return SubmissionState.from_json(row.state)


def _changed_elsewhere(row_id: str) -> Response:
    flash(_("This procedure was changed in the meantime (in another window or on another"
            " device). Here it is as it now stands."), "error")
    return redirect(url_for("portal.submission", submission_id=row_id))


def _refused(row: Submission, refused: ActionRefused) -> Response:
    flash(refused.message.text(current_language()), "error")
    return redirect(url_for("portal.submission", submission_id=row.id))


# -- the step pages ------------------------------------------------------------------------------

@bp.get("/submissions/<submission_id>/steps/<step>")
@audience("public", "member", "employer")  # a visitor holding the key, or an account
@member_or_visitor
def step(submission_id: str, step: str) -> Response | str:
    service = submissions()
    row = owned(service, submission_id)
    wf = service.definition(row)
    state = SubmissionState.from_json(row.state)
    if step not in wf.steps:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    if "answer" not in member_actions(wf, state):
        return redirect(url_for("portal.submission", submission_id=row.id))
    if step not in service.current_path(row):
        return redirect(step_url(row, state.step))
    if wf.steps[step].review:
        return _review_page(service, row, wf, state)
    form = wf.form_of(step)
    answers = state.data.get(step)
    if answers is None:  # not answered yet: what the fund already knows, if the step says so
        answers = service.prefill(row, wf, state, step)
    # the page only draws the elements of its repeating groups: made one by one as it streams
    bound = make_form(form, current_language(), answers=answers, lazy=True) if form else None
    return _streamed("portal/step.html",
                     **_step_context(service, row, wf, state, step, bound, PlacedErrors()))


@bp.post("/submissions/<submission_id>/steps/<step>")
@audience("public", "member", "employer")  # a visitor holding the key, or an account
@member_or_visitor
def answer(submission_id: str, step: str) -> Response | tuple[Response | str, int]:
    """Continue (answer the step), go back, open a document, or add or remove an element of a
    repeating group (which only redraws the page, as does an action it does not know)."""
    service, lang = submissions(), current_language()
    row = owned(service, submission_id, for_update=True)
    wf = service.definition(row)
    state = SubmissionState.from_json(row.state)
    action = request.form.get("action", "continue")
    if step not in wf.steps:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    form = wf.form_of(step)
    if form is None and action != "back":
        raise ApiProblem(404, "not_found", NOT_FOUND)
    bound = make_form(form, lang, formdata=request.form) if form else None
    known = action in ("continue", "back") or action.startswith(("open:", "add:", "remove:"))
    if form is not None and (not known or action.startswith(("add:", "remove:"))):
        assert bound is not None
        changed = change_list(form, lang, bound, action)
        page = _step_page(service, row, wf, state, step, changed.form if changed else bound,
                          PlacedErrors(), focus=changed.focus if changed else None)
        return page, 200
    try:
        if action == "back":
            state = _act(service, row, lambda w, s, c: engine.back(w, s, c))
        elif action.startswith("open:"):
            name = action.removeprefix("open:")
            if name not in wf.documents:
                raise ApiProblem(404, "not_found", NOT_FOUND)
            _act(service, row, lambda w, s, c: engine.open_document(w, s, name))
            return redirect(url_for("portal.document", submission_id=row.id, name=name))
        else:
            assert form is not None
            data = read_answers(bound, form.fields, form.schema)
            state = _act(service, row, lambda w, s, c: engine.answer(w, s, step, data, c))
    except StepInvalid as invalid:
        errors = place_errors(bound, invalid.errors, lang)
        return _step_page(service, row, wf, state, step, bound, errors), 422
    except StaleDataError:
        return _changed_elsewhere(row.id)
    except ApiProblem as problem:
        if problem.code == "stale_revision":
            return _changed_elsewhere(row.id)
        raise
    except ActionRefused as refused:
        return _refused(row, refused)
    return redirect(step_url(row, state.step))


def _progress(service: Submissions, row: Submission, wf: Workflow, state: SubmissionState,
              here: str) -> dict[str, Any]:
    lang = current_language()
    context = service.context(wf, service.owner_of(row), subject=row.subject_id)  # owned()
    planned = planned_path(wf, state.data, context)
    if here not in planned:
        planned = service.current_path(row)
    position = planned.index(here) + 1 if here in planned else len(planned)
    return {"position": position, "total": len(planned),
            "steps": [{"name": name, "title": wf.steps[name].title.text(lang),
                       "state": "current" if name == here else
                       ("done" if name in state.data else "todo")} for name in planned]}


def _step_page(service: Submissions, row: Submission, wf: Workflow, state: SubmissionState,
               name: str, bound: Any, errors: PlacedErrors, focus: str | None = None) -> str:
    """The step page drawn at once (after a post: its errors, an element added or removed).

    A GET's page is streamed instead (:func:`_streamed`): a wage declaration's page holds 5,000
    lines (15 MB of HTML); drawn at once, the page, its pieces, the views and the WTForms fields
    of every line were all in memory together: the process's peak (``bench/wage_declaration.py``).
    Streamed, each line is made (``LazyEntries``), presented (``Items``), drawn and sent in turn."""
    return render_template("portal/step.html", **_step_context(
        service, row, wf, state, name, bound, errors, focus))


def _step_context(service: Submissions, row: Submission, wf: Workflow, state: SubmissionState,
                  name: str, bound: Any, errors: PlacedErrors,
                  focus: str | None = None) -> dict[str, Any]:
    lang = current_language()
    form = wf.form_of(name)
    context = service.context(wf, service.owner_of(row), subject=row.subject_id)  # owned()
    empty = set_choices(bound, engine.choices(wf, state, name, context), lang) if form else []
    fields = present(bound, form.fields, form.schema, lang, errors, focus) if form else []
    shows = [(label.text(lang), value) for label, value in engine.shown(wf, state, name, context)]
    documents = {doc: wf.documents[doc].title.text(lang) for doc in wf.documents}
    from_review = state.reached_review and name != state.step
    path = service.current_path(row)
    return dict(
        wf_title=wf.title.text(lang), row=row, state=state,
        step_name=name, title=wf.steps[name].title.text(lang),
        help=form.help.text(lang) if form and form.help else "", fields=fields,
        shows=shows, empty_choices=[present_label(form.fields, f, lang) for f in empty]
        if form else [], errors=errors, documents=documents,
        progress=_progress(service, row, wf, state, name),
        from_review=from_review, review_step=wf.review_step,
        can_go_back=not from_review and path and path[0] != name,
        uploads=_uploads(form, lang) if form else [])


STREAM_CHUNK = 64 * 1024
"""Characters sent at a time: Jinja yields every piece of text on its own (tens of thousands
for a 5,000-line page), a server writes each part it is given."""


def _streamed(template: str, **context: Any) -> Response:
    """A page sent while it is drawn. What the template would change in the session (the CSRF
    token, the flashed messages it shows) is done before: the session's cookie is set before the
    body is drawn. What fails before the first part of the page is drawn is still an error page;
    the request's context (and its database session) lasts until the last part is sent."""
    generate_csrf()  # stored in the session now, drawn from ``g`` by the template
    get_flashed_messages()  # taken from the session now, kept for the template
    parts = stream_template(template, **context)
    first = next(parts, "")  # the template's first errors are still raised here: an error page
    return current_app.response_class(_joined(first, parts), mimetype="text/html")


def _joined(first: str, parts: Iterator[str]) -> Iterator[str]:
    buffer, size = [first], len(first)
    for part in parts:
        buffer.append(part)
        size += len(part)
        if size >= STREAM_CHUNK:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


def _uploads(form: Form, lang: str) -> list[dict[str, Any]]:
    """The fields of the form that may be uploaded as a CSV file (``upload: csv``), with the
    file's columns (header and label) for the hint."""
    return [{"field": name, "label": Text(spec["label"]["fr"], spec["label"]["en"]).text(lang),
             "columns": [(c.header, c.label.text(lang)) for c in table_columns(form, name)]}
            for name, spec in form.fields.items() if spec.get("upload") == "csv"]


# -- the review page, submitting, cancelling -----------------------------------------------------

def _review_page(service: Submissions, row: Submission, wf: Workflow, state: SubmissionState,
                 errors: Sequence[FieldError] = ()) -> str:
    lang = current_language()
    path = service.current_path(row)
    sections = review(wf, state.data, path, lang, state.labels)
    problems = []
    for error in errors:  # at submit, paths start with the step: /income_declarant/total_months
        name = error.path.split("/")[1] if error.path.count("/") >= 1 else ""
        problems.append({"message": error.message.text(lang),
                         "url": step_url(row, name) if name in wf.steps else None,
                         "step": wf.steps[name].title.text(lang) if name in wf.steps else ""})
    return render_template(
        "portal/review.html", wf_title=wf.title.text(lang), row=row, state=state,
        title=wf.steps[path[-1]].title.text(lang), sections=sections, problems=problems,
        progress=_progress(service, row, wf, state, path[-1]), editing=state.editing)


@bp.post("/submissions/<submission_id>/submit")
@audience("public", "member", "employer")  # a visitor holding the key, or an account
@member_or_visitor
def submit(submission_id: str) -> Response | tuple[str, int]:
    service = submissions()
    row = owned(service, submission_id, for_update=True)
    wf = service.definition(row)
    state = SubmissionState.from_json(row.state)
    try:
        _act(service, row, lambda w, s, c: engine.submit(w, s, c), fresh=True)
    except StepInvalid as invalid:
        return _review_page(service, row, wf, state, invalid.errors), 422
    except StaleDataError:
        return _changed_elsewhere(row.id)
    except ApiProblem as problem:
        if problem.code == "stale_revision":
            return _changed_elsewhere(row.id)
        raise
    except ActionRefused as refused:
        if refused.code == "already_submitted":  # a second click: the first one counted
            return redirect(url_for("portal.submission", submission_id=row.id))
        return _refused(row, refused)
    return redirect(url_for("portal.submission", submission_id=row.id, _anchor="confirmation"))


@bp.get("/submissions/<submission_id>/cancel")
@audience("public", "member", "employer")  # a visitor holding the key, or an account
@member_or_visitor
def confirm_cancel(submission_id: str) -> Response | str:
    service = submissions()
    row = owned(service, submission_id)
    wf = service.definition(row)
    state = SubmissionState.from_json(row.state)
    if "cancel" not in member_actions(wf, state):
        return redirect(url_for("portal.submission", submission_id=row.id))
    return render_template("portal/cancel.html", row=row, state=state,
                           wf_title=wf.title.text(current_language()),
                           back=step_url(row, state.step))


@bp.post("/submissions/<submission_id>/cancel")
@audience("public", "member", "employer")  # a visitor holding the key, or an account
@member_or_visitor
def cancel(submission_id: str) -> Response:
    service, lang = submissions(), current_language()
    row = owned(service, submission_id, for_update=True)
    wf = service.definition(row)
    editing = SubmissionState.from_json(row.state).editing
    try:
        _act(service, row, lambda w, s, c: engine.cancel(w, s))
    except (StaleDataError, ApiProblem) as error:
        if isinstance(error, ApiProblem) and error.code != "stale_revision":
            raise
        return _changed_elsewhere(row.id)
    except ActionRefused as refused:
        return _refused(row, refused)
    if editing:
        flash(_("Your changes were abandoned: your procedure stays as you submitted it."),
              "success")
        return redirect(url_for("portal.submission", submission_id=row.id))
    flash(wf.message("cancelled", CANCELLED).text(lang), "success")
    return redirect(url_for("portal.home"))


@bp.post("/submissions/<submission_id>/amend")
@audience("member")
@member_required
def amend(submission_id: str) -> Response:
    service = submissions()
    row = owned(service, submission_id, for_update=True)
    try:
        state = _act(service, row, lambda w, s, c: engine.amend(w, s), fresh=True)
    except (StaleDataError, ApiProblem) as error:
        if isinstance(error, ApiProblem) and error.code != "stale_revision":
            raise
        return _changed_elsewhere(row.id)
    except ActionRefused as refused:
        return _refused(row, refused)
    return redirect(step_url(row, state.step))
