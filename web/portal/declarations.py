"""The employer's declarations for the chosen client (ref 004, "DÉCLARATIONS DE SALAIRES" and
"HISTORIQUE DES DÉCLARATIONS"): "Déclarer" starts the client's periodic declaration (the
workflow with ``subject: client``; its steps are the generic step pages), the history lists 24
months of declarations with Recouvrement's corrective or complementary ones, each opens in
detail and downloads as PDF. Any account acting for the client sees its history; another
client's declaration answers 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_babel import format_datetime
from werkzeug.wrappers import Response as BaseResponse

from engine import Workflow
from engine.review import display, money
from rules.periods import current_period, shift
from web import declaration_documents, declarations
from web.audience import audience
from web.current import db, services, submissions
from web.db.models import Account, Employer, Submission
from web.errors import NOT_FOUND, ApiProblem
from web.i18n import current_language
from web.pdf.declaration import render_declaration_pdf
from web.portal import bp
from web.portal.employer import choose_client_first, selected_client
from web.portal.signin import actor, employer_required

HISTORY_MONTHS = 24


@bp.app_template_filter("money")
def money_filter(value: object) -> str:
    """``2345.5`` or ``"2345,50"`` as the summary writes euros (``2 345,50 €``, ``€2,345.50``)."""
    return money(str(value), current_language())


@bp.app_template_filter("date_local")
def date_local(value: str | None) -> str:
    """An ISO date as people read it (``03/11/2026``; ``2026-11-03`` in English, as the
    summary shows dates)."""
    return display({"widget": "date"}, value, current_language())


def _periodic() -> Workflow | None:
    return declarations.followed(services().catalog, "client")


@bp.get("/client/declarations")
@audience("employer")
@employer_required
def employer_declarations() -> BaseResponse | str:
    client = selected_client()
    if client is None:
        return choose_client_first()
    wf = _periodic()
    rows: list[dict[str, Any]] = []
    if wf is not None:
        since = shift(current_period(services().clock.today()), -(HISTORY_MONTHS - 1))
        service, lang = submissions(), current_language()
        for row in declarations.history(db(), wf.id, client.id, since):
            definition = service.definition(row)
            found = declaration_documents.summary(definition, row)
            states = definition.lifecycle.states
            rows.append({"row": row, "summary": found, "kind": "declaration",
                         "status": states[row.status].text(lang) if row.status in states
                         else row.status})
            # Recouvrement's corrective or complementary declarations, each a line of its own
            for number, record in enumerate(declaration_documents.records(definition, row,
                                                                          lang), start=1):
                rows.append({"row": row, "summary": found, "kind": "correction",
                             "number": number, "record": record})
    return render_template("portal/employer/declarations.html", client=client, wf=wf,
                           rows=rows, tab="declarations")


@bp.post("/client/declarations/start")
@audience("employer")
@employer_required
def employer_declare() -> BaseResponse:
    """Start the chosen client's declaration ("Déclarer en brut"): its first step offers the
    period. A double click makes one draft (the idempotency key of the form)."""
    client = selected_client()
    wf = _periodic()
    if client is None or wf is None:
        return choose_client_first()
    key = request.form.get("key", "").strip()[:200] or None
    row, _created = submissions().create(actor(), wf.id, key, subject=client.id)
    db().commit()
    return redirect(url_for("portal.submission", submission_id=row.id))


def _declaration(submission_id: str) -> tuple[Workflow, Submission, Employer]:
    """A declaration of the chosen client, sent (not a draft), and the client; else 404."""
    client = selected_client()
    wf = _periodic()
    row = db().get(Submission, submission_id)
    if client is None or wf is None or row is None or row.subject_id != client.id \
            or row.workflow != wf.id or row.unique_key is None:
        raise ApiProblem(404, "not_found", NOT_FOUND)
    return submissions().definition(row), row, client


@bp.get("/client/declarations/<submission_id>")
@audience("employer")
@employer_required
def employer_declaration(submission_id: str) -> str:
    wf, row, client = _declaration(submission_id)
    lang = current_language()
    document = _document(wf, row, client, lang)
    return render_template("portal/employer/declaration.html", client=client, row=row,
                           document=document, summary=declaration_documents.summary(wf, row),
                           submitted=format_datetime(row.submitted_at, "short")
                           if row.submitted_at else "", tab="declarations")


def _document(wf: Workflow, row: Submission, client: Employer,
              lang: str) -> declaration_documents.Declaration:
    owner = db().get(Account, row.owner_id) if row.owner_id else None
    by = (owner.display_name or owner.identifier) if owner is not None else ""
    return declaration_documents.declaration(wf, row, client.name, client.number, by, lang)


@bp.get("/client/declarations/<submission_id>.pdf")
@audience("employer")
@employer_required
def employer_declaration_pdf(submission_id: str) -> Response:
    wf, row, client = _declaration(submission_id)
    period = declarations.value_of(row.unique_key) or "periode"
    lang = current_language()
    pdf = render_declaration_pdf(_document(wf, row, client, lang), lang)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="declaration-{client.number}-{period}.pdf"',
        "Cache-Control": "no-store"})
