"""The wage declaration through the employer's pages (ref 004): the client chosen, "Déclarer",
the period picker (current period first; an earlier one never declared; a declared one refused
with the manual's message), the lines pre-filled with the period's known workforce, an event
added to a line and an employee added, the summary, the receipt, the history and the detail,
the PDF read back; the client declares a period once, whoever declares it (the database holds
the key); another firm's declaration is not found. Demo data, SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import runtime as engine
from tests.integration.portal_client import Page, Portal
from tests.integration.test_employer_portal import BAKERY, FIRM, demo, pdf_text
from tests.integration.test_employer_portal import select as pick
from web.db.models import Submission
from web.errors import ApiProblem

__all__ = ["demo"]  # the fixture, shared with the employer portal's tests


def signed_in(client: FlaskClient, who: tuple[str, str]) -> Portal:
    portal = Portal(client)
    assert portal.login(*who).path == "/"
    return portal


def start(portal: Portal) -> Page:
    history = portal.get("/client/declarations")
    assert history.status == 200, history
    return portal.submit(history, form="form.declare-form")


def lines_of(page: Page) -> list[str]:
    return [str(i.get("value")) for i in page.soup.select("input[type=hidden]")
            if re.fullmatch(r"employees-\d+-employee_id", str(i.get("name")))]


def declare_november(portal: Portal) -> Page:
    """The bakery's November 2026: its three employees of the period, one event, one added."""
    page = start(portal)
    assert page.path.endswith("/steps/period")
    options = [o.get("value") for o in page.soup.select("select[name=period] option")]
    assert options[1:3] == ["2026-11", "2026-10"]  # after "Choisissez…": current period first
    page = portal.submit(page, {"period": "2026-11"}, button="Continuer")
    assert page.path.endswith("/steps/employees"), page.errors()
    # pre-filled: the workforce of November (SAL-0004 left in September)
    assert lines_of(page) == ["SAL-0001", "SAL-0002", "SAL-0003"]
    page = portal.submit(page, {}, button="add:employees-0-events")
    page = portal.submit(page, {"employees-0-events-0-kind": "sick_leave",
                                "employees-0-events-0-start": "03/11/2026",
                                "employees-0-events-0-end": "07/11/2026"},
                         button="add:employees")
    assert len(page.soup.select("fieldset.repeat__item[id^=employees-]")) >= 4
    filled = {"employees-0-gross": "2 450,00", "employees-0-hours": "151,67",
              "employees-1-gross": "1800.50", "employees-1-hours": "120",
              "employees-2-gross": "900", "employees-2-hours": "60",
              "employees-3-last_name": "Nguyen", "employees-3-first_name": "Lan",
              "employees-3-birth_date": "12/04/1998", "employees-3-gross": "300",
              "employees-3-hours": "20"}
    page = portal.submit(page, filled, button="Continuer")
    assert page.path.endswith("/steps/summary"), page.errors()
    return page


@pytest.mark.usefixtures("demo")
def test_a_declaration_from_the_period_to_the_history_and_its_pdf(client):
    portal = signed_in(client, BAKERY)
    pick(portal, "EMP-0001")
    summary = declare_november(portal)
    assert "Nguyen" in summary.text and "Arrêt maladie" in summary.text
    sent = portal.submit(summary, button="Transmettre")
    assert "transmise" in sent.text and "DS-2026-" in sent.text
    assert sent.soup.select_one("main a[href='/client/declarations']") is not None  # "OK"
    receipt = client.get(str(sent.soup.select_one("a[download]")["href"]))
    assert receipt.status_code == 200 and "Nguyen" in pdf_text(receipt.data)
    history = portal.get("/client/declarations")
    row = history.soup.select_one("table.declarations tbody tr")
    assert row is not None and "novembre 2026" in row.get_text(" ")
    detail = portal.get(str(row.select_one("a")["href"]))
    assert detail.status == 200
    assert "Nguyen" in detail.text and "Arrêt maladie" in detail.text
    pdf = client.get(str(row.select("a")[-1]["href"]))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Boulangerie du Rocher" in text and "novembre 2026" in text and "Nguyen" in text


@pytest.mark.usefixtures("demo")
def test_a_period_already_declared_is_refused_with_the_manuals_message(client):
    portal = signed_in(client, BAKERY)
    pick(portal, "EMP-0001")
    portal.submit(declare_november(portal), button="Transmettre")
    again = start(portal)
    refused = portal.submit(again, {"period": "2026-11"}, button="Continuer")
    assert refused.status == 422
    assert ("Une déclaration a déjà été effectuée pour cette période. Pour la modifier, "
            "contactez le Service Recouvrement.") in refused.errors()
    earlier = portal.submit(refused, {"period": "2026-10"}, button="Continuer")
    assert earlier.path.endswith("/steps/employees")
    # October's workforce: SAL-0003 was hired on 16 November
    assert lines_of(earlier) == ["SAL-0001", "SAL-0002"]


@pytest.mark.usefixtures("demo")
def test_two_drafts_of_the_same_period_only_one_is_sent(app: Flask, client, monkeypatch):
    """Two drafts reach the summary before either is sent: sending the second is refused on
    the summary with the manual's message (the rule reads the declared periods afresh); and if
    the first one's commit is not yet visible to it (a race), the database key refuses it, with
    the workflow's message. It stays a draft."""
    portal = signed_in(client, BAKERY)
    pick(portal, "EMP-0001")
    first = declare_november(portal)
    second = declare_november(portal)
    portal.submit(first, button="Transmettre")
    refused = portal.submit(second, button="Transmettre")
    assert refused.status == 422
    assert "Une déclaration a déjà été effectuée pour cette période" in refused.text
    monkeypatch.setattr("web.declarations.declared",
                        lambda session, workflow, ids: {i: set() for i in ids})
    raced = portal.submit(portal.get(second.path), button="Transmettre")
    assert raced.status == 409
    assert "Une déclaration a déjà été effectuée pour cette période" in raced.text
    services = app.extensions["csm"]
    with services.sessions() as s:
        rows = s.scalars(select(Submission).where(Submission.workflow == "wage_declaration")
                         ).all()
        assert sorted(r.status for r in rows) == ["draft", "received"]
        assert [r.unique_key for r in rows if r.status == "received"] == ["EMP-0001|2026-11"]
        assert [r.unique_key for r in rows if r.status == "draft"] == [None]


@pytest.mark.usefixtures("demo")
def test_another_firm_cannot_start_nor_see_the_clients_declarations(app: Flask, client):
    portal = signed_in(client, BAKERY)
    pick(portal, "EMP-0001")
    portal.submit(declare_november(portal), button="Transmettre")
    detail = portal.get("/client/declarations").soup.select_one("table.declarations a")["href"]
    other = app.test_client()
    firm = signed_in(other, FIRM)
    pick(firm, "EMP-0003")
    assert firm.get(str(detail)).status == 404
    assert other.get(str(detail) + ".pdf").status_code == 404
    services = app.extensions["csm"]
    with services.sessions() as s:
        from web.db.models import Account
        from web.submissions import Submissions, actor_for
        account = s.scalars(select(Account).where(Account.identifier == FIRM[0])).one()
        service = Submissions(s, services.catalog, services.clock)
        with pytest.raises(ApiProblem) as refused:
            service.create(actor_for(s, account), "wage_declaration", None, subject="EMP-0001")
        assert refused.value.status == 404
        with pytest.raises(ApiProblem) as missing:
            service.create(actor_for(s, account), "wage_declaration", None)
        assert missing.value.code == "subject_required"


@pytest.mark.usefixtures("demo")
def test_recouvrements_correction_appears_in_the_history_in_detail_and_in_the_pdf(app: Flask,
                                                                                   client):
    from tests.factories import staff
    from web.submissions import Submissions, actor_for

    portal = signed_in(client, BAKERY)
    pick(portal, "EMP-0001")
    portal.submit(declare_november(portal), button="Transmettre")
    agent = staff(app, roles=("recouvrement",))
    services = app.extensions["csm"]
    with services.sessions() as s:
        from web.db.models import Account
        row = s.scalars(select(Submission).where(Submission.workflow == "wage_declaration")
                        ).one()
        me = actor_for(s, s.get(Account, agent.account_id))
        correction = {"kind": "corrective", "reason": "Prime de fin d'année oubliée.",
                      "lines": [{"last_name": "Martin", "first_name": "Julie",
                                 "gross": "2950,00", "hours": 151.67}]}
        Submissions(s, services.catalog, services.clock).act(
            me, row, lambda wf, st, ctx: engine.staff_transition(
                wf, st, "record_correction", me.roles, data=correction,
                on=services.clock.today()))
        s.commit()
    history = portal.get("/client/declarations")
    rows = history.soup.select("table.declarations tbody tr")
    assert len(rows) == 2
    assert "Rectifiée par le Service Recouvrement" in rows[0].get_text(" ")
    link = rows[1].select_one("a")
    assert "Déclaration rectificative" in link.get_text() and link["href"].endswith(
        "#correction-1")
    detail = portal.get(str(link["href"]).split("#")[0])
    assert detail.soup.select_one("#correction-1") is not None
    assert "Prime de fin d'année oubliée." in detail.text and "23/11/2026" in detail.text
    text = pdf_text(client.get(str(rows[1].select("a")[-1]["href"])).data)
    assert "Prime de fin d'année oubliée." in text and "2 950,00" in text
