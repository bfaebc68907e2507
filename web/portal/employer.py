"""The employer portal (ref 004), for employer accounts (an employer, or an accounting firm that
acts for its clients): the clients list (active or inactive, the employer's home page for now),
a client chosen for the session, then that client's workforce for a month (keyset pages of
100), its contribution statements as PDF (direct debit clients only: the others receive them by
post) and the SEPA direct debit mandate to print, with the client filled in.

A client the account may not act for answers 404, as a missing one. The data is read by
:mod:`web.employers`. The wage declaration, the synthesis and the history come later.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_babel import format_currency, format_date, gettext
from werkzeug.wrappers import Response as BaseResponse

from web import employers
from web.audience import audience
from web.current import db, services
from web.db.models import ContributionStatement, Employer
from web.errors import NOT_FOUND, ApiProblem
from web.i18n import current_language
from web.pdf.receipt import html_to_pdf
from web.portal import bp
from web.portal.signin import actor, employer_required

SELECTED = "employer_client"
"""The session key of the client chosen on the clients list."""
STATUSES = ("active", "inactive")


def money(amount_cents: int) -> str:
    return str(format_currency(Decimal(amount_cents) / 100, "EUR"))


def render_clients() -> str:
    """The clients list, filtered ``?status=active`` (the default) or ``inactive``."""
    status = request.args.get("status", "active")
    if status not in STATUSES:
        status = "active"
    me = actor().account
    rows = employers.clients(db(), me.id, active=status == "active")
    return render_template("portal/employer/clients.html", clients=rows, status=status,
                           selected=session.get(SELECTED), account=me)


@bp.get("/clients")
@audience("employer")
@employer_required
def employer_clients() -> str:
    return render_clients()


@bp.post("/clients/select")
@audience("employer")
@employer_required
def employer_select() -> BaseResponse:
    chosen = employers.client(db(), actor().account.id, request.form.get("employer", ""))
    if chosen is None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    session[SELECTED] = chosen.id
    return redirect(url_for("portal.employer_workforce"))


def selected_client() -> Employer | None:
    """The client chosen in this session, if the account may still act for it."""
    chosen = session.get(SELECTED)
    if not isinstance(chosen, str):
        return None
    found = employers.client(db(), actor().account.id, chosen)
    if found is None:
        session.pop(SELECTED, None)
    return found


def choose_client_first() -> BaseResponse:
    flash(gettext("Select a client first."), "info")
    return redirect(url_for("portal.employer_clients"))


def chosen_period() -> tuple[str, list[str], str | None]:
    """The month of ``?period=`` (the current one by default), the months the picker offers,
    and the error when ``?period=`` is not a month up to the current one (then the current)."""
    today = services().clock.today()
    current = employers.current_period(today)
    period = request.args.get("period", current) or current
    error = None
    if employers.period_bounds(period) is None or period > current:
        error = gettext("Choose a month, up to the current one (%(current)s).", current=current)
        period = current
    periods = employers.recent_periods(today)
    if period not in periods:
        periods.append(period)
    return period, periods, error


@bp.get("/client/workforce")
@audience("employer")
@employer_required
def employer_workforce() -> BaseResponse | str | tuple[str, int]:
    return workforce_page("portal/employer/workforce.html", "workforce")


def workforce_page(template: str, tab: str) -> BaseResponse | str | tuple[str, int]:
    """The selected client's workforce for the period asked (a keyset page of it), drawn by
    ``template``: the workforce page, and the payslips' first screen."""
    client = selected_client()
    if client is None:
        return choose_client_first()
    period, periods, error = chosen_period()
    after = request.args.get("after") or None
    page = employers.workforce(db(), client.id, period, after)
    body = render_template(template, client=client, period=period, periods=periods, page=page,
                           after=after, error=error, tab=tab)
    return (body, 400) if error else body


@bp.get("/client/statements")
@audience("employer")
@employer_required
def employer_statements() -> BaseResponse | str:
    client = selected_client()
    if client is None:
        return choose_client_first()
    rows = employers.statements(db(), client.id) if client.direct_debit else []
    return render_template("portal/employer/statements.html", client=client, tab="statements",
                           statements=[_statement_row(s) for s in rows])


def _statement_row(statement: ContributionStatement) -> dict[str, Any]:
    return {"id": statement.id, "period": statement.period,
            "issued_on": format_date(statement.issued_on, "long"),
            "total": money(statement.total_cents)}


@bp.get("/client/statements/<statement_id>.pdf")
@audience("employer")
@employer_required
def employer_statement_pdf(statement_id: str) -> Response:
    client = selected_client()
    found = (employers.statement(db(), client.id, statement_id)
             if client is not None and client.direct_debit else None)
    if client is None or found is None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    document = render_template(
        "portal/employer/statement_print.html", lang=current_language(), client=client,
        statement=_statement_row(found),
        lines=[{"label": line["label"], "amount": money(int(line["amount_cents"]))}
               for line in found.lines])
    return _pdf(document, f"releve-{client.number}-{found.period}.pdf")


@bp.get("/client/sepa-mandate.pdf")
@audience("employer")
@employer_required
def employer_sepa_mandate() -> Response:
    client = selected_client()
    if client is None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    document = render_template(
        "portal/employer/sepa_mandate_print.html", lang=current_language(), client=client,
        creditor_name=employers.CREDITOR_NAME, creditor_address=employers.CREDITOR_ADDRESS,
        creditor_identifier=employers.CREDITOR_IDENTIFIER)
    return _pdf(document, f"mandat-sepa-{client.number}.pdf")


def _pdf(document: str, filename: str) -> Response:
    return Response(html_to_pdf(document), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"})
