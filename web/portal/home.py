"""The portal home: the procedures open to the member (and why the others are closed), and the
member's own submissions with their status. An employer or accounting firm sees the synthesis
of its clients (web/portal/synthesis.py)."""

from __future__ import annotations

import secrets

from flask import redirect, render_template, url_for
from werkzeug.wrappers import Response

from engine import unavailable
from web.audience import audience
from web.current import submissions
from web.db.models import SUBSCRIBER_KINDS
from web.i18n import current_language
from web.labels import status_label
from web.notifications import for_account
from web.portal import bp
from web.portal.signin import current_actor
from web.portal.synthesis import render_synthesis

RECENT_MESSAGES = 5
"""How many of the latest messages the home page lists (each submission's page has all)."""


@bp.get("/")
@audience("account")
def home() -> Response | str:
    me = current_actor()
    if me is None:
        return redirect(url_for("portal.login"))
    employer = me.account.kind == "employer"
    if me.account.kind in SUBSCRIBER_KINDS and not me.account.email_validated:
        return render_template("portal/home.html", procedures=[], rows=[], closed=True,
                               start_key="")
    if employer:  # the synthesis of its clients (ref 004, "SYNTHÈSE DES CLIENTS")
        return render_synthesis()
    service, lang = submissions(), current_language()
    mine = service.owned_by(me)
    procedures = []
    for wf in service.catalog.all_current():
        if wf.audience != me.account.kind:
            continue
        failed = unavailable(wf, service.context(wf, me.account))
        procedures.append({
            "id": wf.id, "title": wf.title.text(lang),
            "description": wf.description.text(lang) if wf.description else None,
            "reason": None if failed is None else failed.message.text(lang)})
    rows = []
    for row in mine:
        if row.status == "cancelled":
            continue
        wf = service.definition(row)
        rows.append({"id": row.id, "title": wf.title.text(lang), "status": row.status,
                     "status_label": status_label(wf, row.status, lang),
                     "updated_at": row.updated_at, "receipt": row.receipt_number})
    notes = for_account(service.session, me.account.id)[:RECENT_MESSAGES]
    titles = {r["id"]: r["title"] for r in rows}
    messages = [{"submission_id": n.submission_id, "title": titles.get(n.submission_id, ""),
                 "subject": n.content[lang]["subject"], "at": n.created_at,
                 "unread": n.read_at is None} for n in notes if n.submission_id in titles]
    return render_template("portal/home.html", procedures=procedures, rows=rows, closed=False,
                           messages=messages,
                           start_key=secrets.token_urlsafe(16), employer=employer,
                           account=me.account)
