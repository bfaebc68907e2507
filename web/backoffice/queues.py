"""The queues of the back office: one per procedure, with counts, filters, pages and CSV.

A staff member sees the queues of the procedures whose lifecycle names one of their roles (an
administrator sees all: :func:`web.submissions.staff_sees`). Another procedure's queue answers
403: the procedure exists, this staff member may not work on it. The data comes from
:mod:`web.backoffice.queue` (keyset pages, never OFFSET) and :mod:`web.backoffice.csv_export`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, abort, render_template, request, url_for
from sqlalchemy.orm import Session, sessionmaker

from engine import Workflow
from web.audience import audience
from web.backoffice import bp
from web.backoffice.csv_export import StatusLabel, export
from web.backoffice.queue import QueueError, QueueFilter, counts, page, parse_filter
from web.backoffice.signin import staff, staff_required
from web.current import db, services, submissions
from web.i18n import current_language
from web.labels import status_label
from web.security_log import security_event

FILTERS = ("status", "scope", "submitted_from", "submitted_to", "q", "sort")
"""The query parameters a queue page keeps from one page to the next and in its CSV link."""


def queue_workflow(workflow: str) -> Workflow:
    """The current definition of ``workflow`` if this staff member works on it: 404 for an
    unknown procedure, 403 for one of another service."""
    wf = services().catalog.current(workflow)
    if wf is None:
        abort(404)
    if wf.id not in {w.id for w in submissions().visible_workflows(staff())}:
        security_event("access_denied", account_id=staff().account.id, channel="backoffice",
                       reason="role", workflow=wf.id)
        abort(403)
    return wf


@bp.get("/queues")
@audience("staff")
@staff_required
def queues() -> str:
    """Every queue this staff member works on, with its counts per status."""
    return render_template("backoffice/queues.html", queues=queue_cards())


def queue_cards() -> list[dict[str, Any]]:
    """The procedures this staff member works on, each with its counts per status."""
    lang = current_language()
    listed = []
    for wf in submissions().visible_workflows(staff()):
        found = counts(db(), [wf.id])
        listed.append({"id": wf.id, "title": wf.title.text(lang),
                       "counts": [(s, title.text(lang), found.get(s, 0))
                                  for s, title in wf.lifecycle.states.items()]})
    return listed


@bp.get("/queues/<workflow>")
@audience("staff")
@staff_required
def queue(workflow: str) -> tuple[str, int] | str:
    wf = queue_workflow(workflow)
    lang = current_language()
    args = {k: v for k, v in request.args.items() if k in (*FILTERS, "cursor") and v != ""}
    error, rows, next_cursor = None, [], None
    try:
        flt = parse_filter({**args, "workflow": wf.id}, [wf.id])
        found = page(db(), flt, args.get("cursor"))
        rows, next_cursor = found.rows, found.next_cursor
    except QueueError as problem:
        error, flt = problem.message.text(lang), QueueFilter(workflows=(wf.id,))
    found_counts = counts(db(), [wf.id], flt.scope)
    kept: dict[str, Any] = {k: v for k, v in args.items() if k != "cursor"}
    page_html = render_template(
        "backoffice/queue.html", wf=wf, wf_title=wf.title.text(lang), rows=[
            {"row": r, "status_label": status_label(wf, r.status, lang)} for r in rows],
        states=[(s, t.text(lang), found_counts.get(s, 0))
                for s, t in wf.lifecycle.states.items()],
        total=sum(found_counts.values()), args=kept, error=error,
        next_url=url_for("backoffice.queue", workflow=wf.id, cursor=next_cursor, **kept)
        if next_cursor else None,
        first_url=url_for("backoffice.queue", workflow=wf.id, **kept)
        if "cursor" in args else None,
        csv_url=url_for("backoffice.queue_csv", workflow=wf.id, **kept),
        metrics_url=url_for("backoffice.metrics", workflow=wf.id))
    return (page_html, 400) if error else page_html


@bp.get("/queues/<workflow>.csv")
@audience("staff")
@staff_required
def queue_csv(workflow: str) -> Response:
    """The filtered list as a CSV file (cells that could run as formulas are neutralised)."""
    wf = queue_workflow(workflow)
    lang = current_language()
    args = {k: v for k, v in request.args.items() if k in FILTERS and v != ""}
    try:
        flt = parse_filter({**args, "workflow": wf.id}, [wf.id])
    except QueueError as problem:
        abort(400, problem.message.text(lang))
    security_event("queue_exported", account_id=staff().account.id, workflow=wf.id)

    def label(workflow_id: str, status: str, language: str) -> str:
        return status_label(wf, status, language)

    name = f"{wf.id}-{services().clock.today():%Y%m%d}.csv"
    return Response(_streamed(services().sessions, flt, lang, label), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _streamed(sessions: sessionmaker[Session], flt: QueueFilter, lang: str,
              label: StatusLabel) -> Iterator[str]:
    """The CSV lines, read through a session of the stream's own: the request's session is
    closed when the view returns, before the file has been sent; this one is closed when the
    last line is sent or the download is interrupted (never left idle in a transaction)."""
    session = sessions()
    try:
        yield from export(session, flt, lang, status_label=label)
    finally:
        session.close()
