"""The synthesis of an employer account's clients (ref 004, "SYNTHÈSE DES CLIENTS"): the home
page of an employer account and its "Synthèse" tab.

For each client: its name (a button selecting it, as the clients list does), its employer
number, the state of the current period's declaration ("Déclaration de novembre 2026 : à
effectuer" / "effectuée le 21/11/2026") and, for a client paying by direct debit, a link to
download its last contribution statement. Three filters (``?filter=``): ``to_declare``, the
default, "Actifs avec déclaration à réaliser" (an active client disappears once its current
period is declared), ``active`` and ``inactive``.

The declaration followed is the first periodic declaration about a client of the catalog
(:func:`web.declarations.periodic`, the wage declaration); without one, the page shows no state
column and its default filter is ``active``. The logic is :func:`synthesis`, which takes the
workflow id, so it is tested without the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Response, render_template, request, session
from flask_babel import format_date, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.periods import current_period, period_label
from web import declarations, employers
from web.audience import audience
from web.current import db, services
from web.db.models import ContributionStatement, Employer, Submission
from web.errors import NOT_FOUND, ApiProblem
from web.i18n import current_language
from web.pdf.receipt import MONACO
from web.portal import bp
from web.portal.employer import SELECTED, _pdf, _statement_row, money
from web.portal.signin import actor, employer_required

FILTERS = ("to_declare", "active", "inactive")
"""``to_declare``: active clients whose current period is not declared (the default)."""


@dataclass(frozen=True)
class Line:
    """One client of the synthesis."""

    client: Employer
    declared_at: datetime | None
    """When the current period was declared (``submitted_at``, UTC); None: still to declare."""
    statement_id: str | None
    """The last contribution statement, for a client paying by direct debit; else None."""


def synthesis(session: Session, account_id: str, workflow_id: str | None, period: str,
              kind: str = "to_declare") -> list[Line]:
    """The account's clients as the synthesis lists them, by name, filtered by ``kind``
    (:data:`FILTERS`): with a ``workflow_id``, each one's declaration of ``period``
    (``YYYY-MM``); without one, nothing is declared and ``to_declare`` lists nothing."""
    if kind not in FILTERS:
        raise ValueError(f"unknown filter {kind!r}")
    clients = employers.clients(session, account_id, active=kind != "inactive")
    ids = [c.id for c in clients]
    done = _declared_at(session, workflow_id, ids, period) if workflow_id else {}
    if kind == "to_declare":
        if workflow_id is None:
            return []
        clients = [c for c in clients if c.id not in done]
    last = last_statements(session, [c.id for c in clients if c.direct_debit])
    return [Line(c, done.get(c.id), last.get(c.id)) for c in clients]


def _declared_at(session: Session, workflow_id: str, ids: list[str],
                 period: str) -> dict[str, datetime | None]:
    """For the clients that declared ``period``: when (the submission's ``submitted_at``)."""
    if not ids:
        return {}
    keys = [declarations.unique_key(i, period) for i in ids]
    rows = session.execute(select(Submission.subject_id, Submission.submitted_at).where(
        Submission.workflow == workflow_id, Submission.unique_key.in_(keys))).all()
    return {subject: at for subject, at in rows if subject is not None}


def last_statements(session: Session, employer_ids: list[str]) -> dict[str, str]:
    """The id of each employer's last contribution statement (latest period)."""
    if not employer_ids:
        return {}
    latest = (select(ContributionStatement.employer_id,
                     func.max(ContributionStatement.period).label("period"))
              .where(ContributionStatement.employer_id.in_(employer_ids))
              .group_by(ContributionStatement.employer_id).subquery())
    rows = session.execute(select(ContributionStatement.employer_id, ContributionStatement.id)
                           .join(latest, (latest.c.employer_id
                                          == ContributionStatement.employer_id)
                                 & (latest.c.period == ContributionStatement.period))).all()
    return dict(rows)


def followed_workflow() -> str | None:
    """The periodic declaration about a client the synthesis follows (None: none yet)."""
    found = declarations.followed(services().catalog, "client")
    return found.id if found else None


def render_synthesis() -> str:
    """The synthesis page of the signed-in employer account, ``?filter=`` applied."""
    workflow_id = followed_workflow()
    filters = list(FILTERS) if workflow_id else [f for f in FILTERS if f != "to_declare"]
    kind = request.args.get("filter", filters[0])
    if kind not in filters:
        kind = filters[0]
    period = current_period(services().clock.today())
    me = actor().account
    lines = synthesis(db(), me.id, workflow_id, period, kind)
    label = dict(zip(("fr", "en"), period_label(period), strict=True))[current_language()]
    rows = [{"client": line.client, "statement_id": line.statement_id,
             "state": _state(line.declared_at) if workflow_id else None}
            for line in lines]
    return render_template("portal/employer/synthesis.html", rows=rows, filters=filters,
                           chosen=kind, period_label=label, followed=workflow_id is not None,
                           selected=session.get(SELECTED), account=me)


def _state(declared_at: datetime | None) -> dict[str, str | bool]:
    if declared_at is None:
        return {"done": False, "text": gettext("to be made")}
    day = format_date(declared_at.astimezone(MONACO).date(), "short")
    return {"done": True, "text": gettext("made on %(date)s", date=day)}


@bp.get("/synthesis")
@audience("employer")
@employer_required
def employer_synthesis() -> str:
    return render_synthesis()


@bp.get("/synthesis/<employer_id>/last-statement.pdf")
@audience("employer")
@employer_required
def employer_last_statement(employer_id: str) -> Response:
    """The last contribution statement of a client paying by direct debit, as PDF (404 for a
    client the account may not act for, one without direct debit or without a statement)."""
    client = employers.client(db(), actor().account.id, employer_id)
    last = last_statements(db(), [client.id]) if client is not None and client.direct_debit else {}
    found = employers.statement(db(), client.id, last[client.id]) if client and last else None
    if client is None or found is None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    document = render_template(
        "portal/employer/statement_print.html", lang=current_language(), client=client,
        statement=_statement_row(found),
        lines=[{"label": line["label"], "amount": money(int(line["amount_cents"]))}
               for line in found.lines])
    return _pdf(document, f"releve-{client.number}-{found.period}.pdf")
