"""A repeating group uploaded as a CSV file on a step page (``upload: csv``, engine/tables.py).

The file replaces the field's rows in the step's answers, which are then given to the engine as a
"Continue" would: nothing is saved unless the whole file is valid, for the form's schema and for
the step's rules; every problem is listed at its file line and column.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from engine import ActionRefused, StepInvalid, SubmissionState, Workflow
from engine import runtime as engine
from engine.tables import read_table, template
from web.audience import audience
from web.current import submissions
from web.db.models import Submission
from web.errors import NOT_FOUND, ApiProblem
from web.i18n import current_language
from web.portal import bp
from web.portal.forms import PlacedErrors, make_form
from web.portal.public import member_or_visitor
from web.portal.steps import _act, _changed_elsewhere, _refused, _step_page, owned, step_url
from web.submissions import Submissions
from web.uploads import rule_errors, upload_form, with_rows

SHOWN = 200  # errors listed on the page; the rest are counted


@bp.get("/submissions/<submission_id>/steps/<step>/upload/<field>/model.csv")
@audience("public", "member", "employer")  # a visitor holding the key, or an account
@member_or_visitor
def upload_model(submission_id: str, step: str, field: str) -> Response:
    """The model file: the line of column names."""
    service = submissions()
    row = owned(service, submission_id)
    form = upload_form(service.definition(row), step, field)
    return Response(template(form, field), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{field}.csv"'})


@bp.post("/submissions/<submission_id>/steps/<step>/upload/<field>")
@audience("public", "member", "employer")  # a visitor holding the key, or an account
@member_or_visitor
def upload(submission_id: str, step: str, field: str) -> Response | tuple[str, int]:
    service = submissions()
    row = owned(service, submission_id, for_update=True)
    wf = service.definition(row)
    form = upload_form(wf, step, field)
    state = SubmissionState.from_json(row.state)
    sent = request.files.get("file")
    content = sent.read() if sent is not None and sent.filename else b""
    if not content:
        return _errors_page(service, row, wf, state, step, field,
                            [_("Choose a CSV file to import.")]), 422
    read = read_table(form, field, content)
    lang = current_language()
    if read.errors:
        return _errors_page(service, row, wf, state, step, field,
                            [e.text(lang) for e in read.errors]), 422
    try:
        state = _act(service, row, lambda w, s, c: engine.answer(
            w, s, step, with_rows(s, step, field, read.rows), c))
    except StepInvalid as invalid:
        texts = [e.text(lang) for e in rule_errors(invalid, field, read)]
        return _errors_page(service, row, wf, state, step, field, texts), 422
    except StaleDataError:
        return _changed_elsewhere(row.id)
    except ApiProblem as problem:
        if problem.code == "stale_revision":
            return _changed_elsewhere(row.id)
        raise
    except ActionRefused as refused:
        return _refused(row, refused)
    flash(ngettext("%(num)s line imported", "%(num)s lines imported", len(read.rows)),
          "success")
    return redirect(step_url(row, state.step))


def _errors_page(service: Submissions, row: Submission, wf: Workflow, state: SubmissionState,
                 step: str, field: str, texts: Sequence[str]) -> str:
    """The step page as it was (nothing saved), the file's problems in the error summary."""
    if step not in service.current_path(row):  # not a step to answer now: no page to redraw
        raise ApiProblem(404, "not_found", NOT_FOUND)
    form = upload_form(wf, step, field)
    answers = state.data.get(step)
    if answers is None:
        answers = service.prefill(row, wf, state, step)
    bound = make_form(form, current_language(), answers=answers)
    anchor = f"upload-{field}"
    placed = PlacedErrors()
    placed.summary = [(anchor, text) for text in texts[:SHOWN]]
    if len(texts) > SHOWN:
        more = len(texts) - SHOWN
        placed.summary.append((anchor, ngettext("And %(num)s more problem.",
                                                "And %(num)s more problems.", more)))
    return _step_page(service, row, wf, state, step, bound, placed)


__all__ = ["rule_errors", "upload_form", "with_rows"]
