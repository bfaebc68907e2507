"""Requesting a certificate online through the member's pages and the API (issue 7, ref 002
"Demandes en ligne"): the address shown, the wrong-address branch and its form to download, the
documents found by domain or keyword, the beneficiaries of the household, another request.

Texts are read from workflows/certificate_request.yaml, its forms and catalogues/documents.yaml,
so an analyst's change of wording does not break these tests; what they pin is the behaviour.
"""

from __future__ import annotations

import io
from typing import Any

import pypdf
import yaml
from flask import Flask
from sqlalchemy import select

from tests.factories import member, staff
from tests.integration.api_client import Api
from tests.integration.portal_client import Page, Portal
from web.db.models import Notification, Submission
from web.pdf.letter import format_day
from web.pdf.receipt import MONACO
from web.settings import ROOT


def _yaml(relative: str) -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / relative).read_text(encoding="utf-8")))


WORKFLOW = _yaml("workflows/certificate_request.yaml")
CATALOGUE = {e["code"]: e for e in _yaml("catalogues/documents.yaml")["entries"]}
STATES = WORKFLOW["lifecycle"]["states"]
START = "/procedures/certificate_request/start"


def title(code: str) -> str:
    return str(CATALOGUE[code]["title"]["fr"])


def radio_labels(page: Page, name: str) -> dict[str, str]:
    found = {}
    for radio in page.soup.select(f"input[type=radio][name={name}]"):
        label = page.soup.find("label", attrs={"for": radio["id"]})
        found[str(radio["value"])] = " ".join(label.get_text(" ").split()) if label else ""
    return found


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def started(app: Flask, **household: Any) -> tuple[Portal, Page, Any]:
    who = member(app, **household)
    portal = Portal(app.test_client())
    home = portal.login(who.identifier, who.password)
    assert str(WORKFLOW["title"]["fr"]) in home.text
    page = portal.submit(home, button=None, form=f"form[action='{START}']")
    assert page.status == 200, page.text
    return portal, page, who


def to_document_step(portal: Portal, page: Page, domain: str = "medical",
                     keyword: str = "") -> Page:
    page = portal.submit(page, {"status": "correct"}, button="continue")
    return portal.submit(page, {"domain": domain, "keyword": keyword}, button="continue")


def test_the_address_step_shows_the_address_the_fund_holds(app: Flask) -> None:
    _portal, page, _who = started(app)
    shows = page.soup.select_one(".step-shows")
    assert shows is not None
    text = " ".join(shows.get_text(" ").split())
    assert "Adresse connue de nos services" in text
    assert "1 rue Grimaldi" in text and "98000 MONACO" in text


def test_documents_are_offered_by_domain_and_population(app: Flask) -> None:
    portal, page, _who = started(app)
    page = to_document_step(portal, page, "medical")
    offered = radio_labels(page, "document")
    # a member whose population the registry does not give: documents open to everyone only
    assert offered == {"medical_rights": title("medical_rights"),
                       "stay_abroad_rights": title("stay_abroad_rights")}


def test_a_keyword_without_accents_finds_the_document_and_one_finding_nothing_says_so(
        app: Flask) -> None:
    portal, page, _who = started(app)
    page = to_document_step(portal, page, "all", "IMMATRICULATION")
    assert set(radio_labels(page, "document")) == {"registration_certificate"}
    page = portal.submit(page, button="back")
    page = portal.submit(page, {"domain": "all", "keyword": "medicales"}, button="continue")
    assert set(radio_labels(page, "document")) == {"medical_rights"}
    page = portal.submit(page, button="back")
    page = portal.submit(page, {"domain": "family", "keyword": "zzz"}, button="continue")
    assert radio_labels(page, "document") == {}
    assert page.soup.select_one("#no-choice") is not None


def test_a_forged_document_is_refused_next_to_its_field(app: Flask) -> None:
    portal, page, _who = started(app)
    page = to_document_step(portal, page, "medical")
    forged = portal.submit(page, {"document": "pension_certificate"}, button="continue")
    assert forged.status == 422
    assert any("ce choix n'est pas possible" in e for e in forged.errors()), forged.errors()


def test_beneficiaries_follow_the_document_and_the_household(app: Flask) -> None:
    portal, page, _who = started(app, spouse=True, children=1)
    page = to_document_step(portal, page, "medical")
    page = portal.submit(page, {"document": "medical_rights"}, button="continue")
    people = radio_labels(page, "beneficiary")
    assert len(people) == 3
    assert [label.rsplit("(", 1)[1] for label in people.values()] == [
        "vous-même)", "conjoint)", "enfant)"]
    page = portal.submit(portal.submit(page, button="back"), button="back")
    page = portal.submit(page, {"domain": "family", "keyword": ""}, button="continue")
    page = portal.submit(page, {"document": "no_family_benefits"}, button="continue")
    people = radio_labels(page, "beneficiary")
    assert [label.rsplit("(", 1)[1] for label in people.values()] == ["vous-même)", "conjoint)"]


def test_a_request_through_to_the_confirmation_and_another_one(app: Flask) -> None:
    portal, page, who = started(app, spouse=True, children=1)
    page = to_document_step(portal, page, "medical")
    page = portal.submit(page, {"document": "medical_rights"}, button="continue")
    child = next(v for v, label in radio_labels(page, "beneficiary").items() if "enfant" in label)
    page = portal.submit(page, {"beneficiary": child, "comment": "Pour la crèche."},
                         button="continue")
    # the summary names the document and the person, not their codes
    assert title("medical_rights") in page.text and "Enfant0" in page.text
    assert "medical_rights" not in page.text
    done = portal.submit(page, form="form[action$='/submit']")
    assert done.soup.select_one("#confirmation") is not None
    assert STATES["received"]["notice"]["fr"] in done.text
    assert done.soup.find(string=lambda s: s and "Démarche transmise" in s) is not None
    # the manual: "le message suivant est affiché vous permettant d'effectuer une autre demande"
    again = portal.submit(done, form=f"form[action='{START}']")
    assert again.status == 200 and again.soup.select_one(".step-shows") is not None
    with app.extensions["csm"].sessions() as s:
        rows = s.scalars(select(Submission).where(Submission.owner_id == who.account_id)
                         .order_by(Submission.created_at)).all()
    assert [r.status for r in rows] == ["received", "draft"]


def test_a_wrong_address_stops_the_request_and_offers_the_change_form(app: Flask) -> None:
    portal, page, who = started(app)
    page = portal.submit(page, {"status": "wrong"}, button="continue")
    refused = portal.submit(page, button="continue")
    assert refused.status == 422
    page = portal.submit(refused, {"confirmed": "y"}, button="continue")
    done = portal.submit(page, form="form[action$='/submit']")
    assert STATES["address_reported"]["title"]["fr"] in done.text
    assert STATES["address_reported"]["notice"]["fr"] in done.text
    link = done.soup.select_one("a[href$='/documents/address_change_form.pdf']")
    assert link is not None
    response = portal.client.get(str(link["href"]))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Formulaire de modification d'adresse" in text and "Nouvelle adresse" in text
    with app.extensions["csm"].sessions() as s:
        row = s.scalars(select(Submission).where(Submission.owner_id == who.account_id)).one()
    assert row.status == "address_reported"
    # another document, or a request in another state, offers nothing
    assert portal.client.get(f"/submissions/{row.id}/documents/nothing.pdf").status_code == 404


def test_the_change_form_is_not_offered_for_a_received_request(app: Flask) -> None:
    portal, page, who = started(app)
    page = to_document_step(portal, page, "medical")
    page = portal.submit(page, {"document": "medical_rights"}, button="continue")
    mine = next(iter(radio_labels(page, "beneficiary")))
    page = portal.submit(page, {"beneficiary": mine}, button="continue")
    done = portal.submit(page, form="form[action$='/submit']")
    assert done.soup.select_one("a[href$='.pdf'][href*='/documents/']") is None
    row_id = done.path.split("/")[2]
    assert portal.client.get(
        f"/submissions/{row_id}/documents/address_change_form.pdf").status_code == 404
    # another member cannot fetch it either
    other = member(app)
    api = Api(app.test_client()).login(other.identifier, other.password)
    assert api.get(f"/api/v1/submissions/{row_id}/documents/address_change_form.pdf"
                   ).status_code == 404


def test_the_api_gives_the_shown_address_and_the_computed_choices(app: Flask) -> None:
    who = member(app, spouse=True)
    api = Api(app.test_client()).login(who.identifier, who.password)
    created = api.post("/api/v1/workflows/certificate_request/submissions")
    assert created.status_code == 201, created.json
    sid, revision = created.json["id"], created.json["revision"]
    step = api.get(f"/api/v1/submissions/{sid}/steps/address").json
    assert step["shows"][0]["value"][0] == "1 rue Grimaldi"
    for name, data in (("address", {"status": "correct"}), ("search", {"domain": "registration"})):
        answered = api.put(f"/api/v1/submissions/{sid}/steps/{name}",
                           {"data": data, "revision": revision})
        assert answered.status_code == 200, answered.json
        revision = answered.json["revision"]
    step = api.get(f"/api/v1/submissions/{sid}/steps/document").json
    assert [c["value"] for c in step["choices"]["document"]] == [
        "registration_certificate", "card_duplicate"]
    wrong = api.put(f"/api/v1/submissions/{sid}/steps/document",
                    {"data": {"document": "career_statement"}, "revision": revision})
    assert wrong.status_code == 422
    assert [(e["path"], e["code"]) for e in wrong.json["errors"]] == [
        ("/document", "not_a_choice")]


def test_sent_by_post_tells_the_member_the_date_and_the_history_shows_it(app: Flask) -> None:
    portal, page, who = started(app)
    page = to_document_step(portal, page, "registration")
    page = portal.submit(page, {"document": "registration_certificate"}, button="continue")
    mine = next(iter(radio_labels(page, "beneficiary")))
    page = portal.submit(page, {"beneficiary": mine}, button="continue")
    done = portal.submit(page, form="form[action$='/submit']")
    row_id = done.path.split("/")[2]
    agent = staff(app, roles=("prestations",))
    desk = Api(app.test_client()).login(agent.identifier, agent.password)
    revision = desk.get(f"/api/v1/submissions/{row_id}").json["revision"]
    sent = desk.post(f"/api/v1/staff/submissions/{row_id}/transitions",
                     {"name": "send", "revision": revision})
    assert sent.status_code == 200, sent.json
    svc = app.extensions["csm"]
    with svc.sessions() as s:
        [note] = s.scalars(select(Notification).where(Notification.submission_id == row_id)).all()
    today = svc.clock.now().astimezone(MONACO).date()
    assert f"le {format_day(today, 'fr')}" in note.content["fr"]["body"]
    assert f"on {format_day(today, 'en')}" in note.content["en"]["body"]
    page = portal.get(f"/submissions/{row_id}")
    history = " ".join(page.soup.select_one(".history").get_text(" ").split())
    assert "Démarche transmise" in history
    assert "Reçue → Envoyée par courrier" in history and "Caisses Sociales de Monaco" in history
    assert agent.identifier not in page.text  # never a staff member's name
