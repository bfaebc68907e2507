"""Certificates (ref 002, "Demandes en ligne"): a member asks for an attestation of entitlement
to medical benefits; staff mark the request sent from the back office; the fund issues the
certificate (its period, a verification code), printed for the post with the other letters, and
any staff member can check its code on the back office's verification page.

Every test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import logging
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

import pypdf
import pytest
from flask import Flask
from sqlalchemy import delete, func, select, update

from rules.certificates import entitlement_period
from tests.factories import Member, Staff, member, staff, totp_code
from tests.integration.api_client import Api
from tests.integration.portal_client import Page, Portal
from web.accounts.letters import CERTIFICATE_LETTER, NOTIFICATION_LETTER, print_pending, reprint
from web.accounts.policy import policy
from web.certificates import CODE_ALPHABET, normalize_code
from web.db.models import (
    Account,
    Certificate,
    Letter,
    Notification,
    Person,
    Submission,
    SubmissionEvent,
)
from web.pdf.letter import format_day
from web.tokens import issue

SENT_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 11:00 in Monaco
ISSUED = date(2026, 11, 23)
PERIOD_FR = "du 23 novembre 2026 au 28 février 2027"


def services(app: Flask) -> Any:
    return app.extensions["csm"]


def api_for(app: Flask, account_id: str) -> Api:
    svc = services(app)
    with svc.sessions.begin() as s:
        token = issue(s, s.get(Account, account_id), svc.clock.now(), 8, kind="api").token
    return Api(app.test_client(), token)


def person_of(app: Flask, who: Member) -> Person:
    with services(app).sessions() as s:
        person = s.get(Person, s.get(Account, who.account_id).person_id)
        assert person is not None
        s.expunge(person)
        return person


def requested(app: Flask, document: str = "medical_rights", *, spouse: bool = False,
              for_spouse: bool = False) -> tuple[Member, str]:
    """A member's submitted certificate request (through the API): (member, submission id)."""
    services(app).clock.freeze(SENT_AT)
    who = member(app, spouse=spouse)
    api = api_for(app, who.account_id)
    sid = api.start("certificate_request")["id"]
    for step, data in (("address", {"status": "correct"}), ("search", {"domain": "all"}),
                       ("document", {"document": document})):
        r = api.answer(sid, step, data)
        assert r.status_code == 200, r.json
    beneficiary = person_of(app, who).id + ("s" if for_spouse else "")
    r = api.answer(sid, "details", {"beneficiary": beneficiary})
    assert r.status_code == 200, r.json
    r = api.act(sid, "submit")
    assert r.status_code == 200 and r.json["status"] == "received", r.json
    return who, sid


def signed_in(app: Flask, who: Staff) -> Portal:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    portal = Portal(client)
    page = portal.submit(portal.get("/backoffice/login"),
                         {"identifier": who.identifier, "password": who.password})
    page = portal.submit(page, {"code": totp_code(app, who)})
    assert page.status == 200 and page.path.startswith("/backoffice"), page.text
    return portal


def press(portal: Portal, sid: str, button: str) -> Page:
    page = portal.get(f"/backoffice/submissions/{sid}")
    return portal.submit(page, {}, button=button, follow=True)


def count(app: Flask, model: Any, **where: Any) -> int:
    with services(app).sessions() as s:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(s.scalar(query) or 0)


def certificates(app: Flask) -> list[Certificate]:
    with services(app).sessions() as s:
        found = list(s.scalars(select(Certificate)))
        for c in found:
            s.expunge(c)
        return found


def pages(pdf: bytes | None) -> list[str]:
    assert pdf is not None and pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(unicodedata.normalize("NFC", page.extract_text() or "").split())
            for page in reader.pages]


def print_all(app: Flask, lang: str = "fr") -> Any:
    svc = services(app)
    with svc.sessions.begin() as s:
        return print_pending(s, svc.passwords, policy(svc.settings.password_policy),
                             svc.clock.now(), lang)


@pytest.fixture
def agent(app: Flask) -> Staff:
    return staff(app, roles=("prestations",))


@pytest.fixture
def sent(app: Flask, agent: Staff) -> tuple[Member, str, Portal]:
    """A medical-rights request prepared then sent by a prestations agent, from the file page."""
    who, sid = requested(app)
    portal = signed_in(app, agent)
    page = press(portal, sid, "Prepare")
    assert page.status == 200 and "Done: Prepare" in page.text, page.text
    page = press(portal, sid, "Mark as sent by post")
    assert page.status == 200 and "Sent by post" in page.text, page.text
    return who, sid, portal


# --- issuing -----------------------------------------------------------------------------------

def test_sending_a_medical_rights_request_issues_one_certificate_and_its_letter(app, sent):
    who, sid, _ = sent
    person = person_of(app, who)
    [certificate] = certificates(app)
    assert certificate.submission_id == sid and certificate.person_id == person.id
    assert certificate.document == "medical_rights"
    assert (certificate.valid_from, certificate.valid_to) == entitlement_period(ISSUED) == (
        ISSUED, date(2027, 2, 28))
    code = certificate.verification_code
    assert len(code) == 14 and code[4] == code[9] == "-"
    assert all(c in CODE_ALPHABET for c in code.replace("-", ""))
    assert certificate.content["beneficiary"] == {
        "name": f"{person.first_name} {person.last_name}", "registration": person.registration,
        "birth_date": person.birth_date.isoformat()}
    with services(app).sessions() as s:
        [letter] = s.scalars(select(Letter).where(Letter.kind == CERTIFICATE_LETTER)).all()
        assert letter.account_id == who.account_id
        assert letter.content == {"submission_id": sid, "certificate_id": certificate.id}
        assert s.get(Submission, sid).status == "sent"
    assert count(app, Notification, submission_id=sid) == 1  # "sent by post", told as usual


def test_the_printed_batch_holds_the_certificate_with_name_period_and_code(app, sent):
    who, _, _ = sent
    person = person_of(app, who)
    [certificate] = certificates(app)
    run = print_all(app)
    assert sorted(p.kind for p in run.letters) == [CERTIFICATE_LETTER, NOTIFICATION_LETTER]
    assert run.unaddressed == ()
    [text] = [t for t in pages(run.pdf) if "Attestation de droit" in t]
    name = f"{person.first_name} {person.last_name}"
    for expected in ("Caisses Sociales de Monaco", "1 rue Grimaldi", "98000 MONACO",
                     "Attestation de droit aux prestations médicales", name,
                     person.registration, "12 mai 1960", PERIOD_FR, "Délivrée le 23 novembre 2026",
                     certificate.verification_code,
                     "peut être vérifiée auprès des Caisses Sociales de Monaco"):
        assert expected in text, expected
    assert print_all(app).letters == ()  # printed once
    svc = services(app)
    [letter] = [p for p in run.letters if p.kind == CERTIFICATE_LETTER]
    with svc.sessions.begin() as s:  # a reprint is the same certificate, in English here
        again = reprint(s, svc.passwords, policy(svc.settings.password_policy), svc.clock.now(),
                        letter.id, "en")
    [english] = pages(again.pdf)
    assert "Certificate of entitlement to medical benefits" in english
    assert certificate.verification_code in english
    assert f"from {format_day(ISSUED, 'en')} to 28 February 2027" in english


def test_flask_letters_print_puts_the_certificate_in_the_batch(app, sent, tmp_path):
    [certificate] = certificates(app)
    out = tmp_path / "letters.pdf"
    printed = app.test_cli_runner().invoke(args=["letters", "print", "--out", str(out)])
    assert printed.exit_code == 0, printed.output
    assert "2 letters printed to" in printed.output and CERTIFICATE_LETTER in printed.output
    [text] = [t for t in pages(out.read_bytes()) if "Attestation de droit" in t]
    assert PERIOD_FR in text and certificate.verification_code in text

def test_a_spouse_can_be_the_beneficiary(app, agent):
    who, sid = requested(app, spouse=True, for_spouse=True)
    portal = signed_in(app, agent)
    assert press(portal, sid, "Mark as sent by post").status == 200
    [certificate] = certificates(app)
    assert certificate.person_id == person_of(app, who).id + "s"
    assert certificate.content["beneficiary"]["name"].startswith("Claire ")


def test_a_document_the_service_prepares_itself_produces_nothing(app, agent):
    _, sid = requested(app, "stay_abroad_rights")
    portal = signed_in(app, agent)
    page = press(portal, sid, "Mark as sent by post")
    assert page.status == 200 and "Sent by post" in page.text
    assert certificates(app) == []
    assert count(app, Letter, kind=CERTIFICATE_LETTER) == 0
    with services(app).sessions() as s:
        assert s.get(Submission, sid).status == "sent"


def test_sending_twice_is_refused_by_the_lifecycle(app, sent):
    _, sid, portal = sent
    page = portal.get(f"/backoffice/submissions/{sid}")
    assert not page.soup.select("button[name=transition]")  # nothing left to do
    with services(app).sessions() as s:
        current = str(s.get(Submission, sid).revision)
    answer = portal.post(f"/backoffice/submissions/{sid}/transitions",
                         {"transition": "send", "revision": current})
    assert answer.status == 422 and "not possible in this state" in answer.text
    assert len(certificates(app)) == 1 and count(app, Letter, kind=CERTIFICATE_LETTER) == 1


@pytest.mark.parametrize("gone", ["deleted", "left_household"])
def test_a_certificate_that_cannot_be_made_refuses_the_transition_and_saves_nothing(
        app, agent, gone):
    who, sid = requested(app, spouse=True, for_spouse=True)
    spouse_id = person_of(app, who).id + "s"
    with services(app).sessions.begin() as s:
        if gone == "deleted":
            s.execute(delete(Person).where(Person.id == spouse_id))
        else:
            s.execute(update(Person).where(Person.id == spouse_id).values(household_id=None))
    with services(app).sessions() as s:
        before = (s.get(Submission, sid).revision, s.scalar(
            select(func.count()).select_from(SubmissionEvent)
            .where(SubmissionEvent.submission_id == sid)))
    portal = signed_in(app, agent)
    page = press(portal, sid, "Mark as sent by post")
    assert page.status == 409
    assert "certificate cannot be issued" in page.soup.select_one(".error-summary").text
    with services(app).sessions() as s:
        row = s.get(Submission, sid)
        assert row.status == "received"
        after = (row.revision, s.scalar(select(func.count()).select_from(SubmissionEvent)
                                        .where(SubmissionEvent.submission_id == sid)))
    assert after == before
    assert certificates(app) == []
    assert count(app, Letter) == 0 and count(app, Notification) == 0


def test_the_staff_api_gets_a_problem_when_the_certificate_cannot_be_made(app, agent):
    who, sid = requested(app, spouse=True, for_spouse=True)
    with services(app).sessions.begin() as s:
        s.execute(delete(Person).where(Person.id == person_of(app, who).id + "s"))
    api = api_for(app, agent.account_id)
    revision = api.get(f"/api/v1/submissions/{sid}").json["revision"]
    r = api.post(f"/api/v1/staff/submissions/{sid}/transitions",
                 {"name": "send", "revision": revision})
    assert r.status_code == 409 and r.json["code"] == "cannot_produce"
    assert api.get(f"/api/v1/submissions/{sid}").json["status"] == "received"
    assert certificates(app) == []


# --- checking a code ---------------------------------------------------------------------------

def result(page: Page) -> str:
    found = page.soup.select_one(".certificate-result")
    return found.get_text(" ", strip=True) if found is not None else ""


def test_the_verification_page_finds_the_certificate_whatever_the_spelling(app, sent, caplog):
    who, sid, portal = sent
    person = person_of(app, who)
    [certificate] = certificates(app)
    code = certificate.verification_code
    home = portal.get("/backoffice/")
    assert home.soup.select_one("a[href='/backoffice/certificates/verify']") is not None
    form = portal.get("/backoffice/certificates/verify")
    assert form.status == 200 and form.soup.select_one("input[name=code]") is not None
    assert not form.soup.select("script")
    with services(app).sessions() as s:
        receipt = s.get(Submission, sid).receipt_number
    caplog.set_level(logging.INFO, logger="csm.security")
    for typed in (code, code.lower(), code.replace("-", ""), " " + code.replace("-", " ") + " "):
        page = portal.submit(form, {"code": typed})
        assert page.status == 200
        text = result(page)
        for expected in ("Certificate of entitlement to medical benefits",
                         f"{person.first_name} {person.last_name}", person.registration,
                         "November 23, 2026", "February 28, 2027", receipt,
                         "valid today"):
            assert expected in text, (typed, expected, text)
        link = page.soup.select_one(".certificate-result a")
        assert link is not None and link["href"] == f"/backoffice/submissions/{sid}"
    events = [json.loads(r.getMessage()) for r in caplog.records
              if getattr(r, "security_event", None) == "certificate_verified"]
    assert len(events) == 4 and all(e["found"] and e["certificate_id"] == certificate.id
                                    for e in events)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert code not in logged and code.replace("-", "") not in logged


def test_an_unknown_code_is_one_sentence_and_logged(app, sent, caplog):
    _, _, portal = sent
    caplog.set_level(logging.INFO, logger="csm.security")
    for typed in ("AAAA-BBBB-CCCC", "not a code", "x" * 200):
        page = portal.get(f"/backoffice/certificates/verify?code={typed}")
        assert page.status == 200
        assert result(page) == "Result No certificate has this code."
    events = [json.loads(r.getMessage()) for r in caplog.records
              if getattr(r, "security_event", None) == "certificate_verified"]
    assert [e["found"] for e in events] == [False, False, False]
    assert all(e["certificate_id"] is None for e in events)


def test_another_service_checks_the_code_without_a_link_to_the_file(app, sent):
    _, sid, _ = sent
    [certificate] = certificates(app)
    other = signed_in(app, staff(app, roles=("recouvrement",)))  # no transition here
    page = other.get(f"/backoffice/certificates/verify?code={certificate.verification_code}")
    assert page.status == 200 and "Certificate of entitlement" in result(page)
    assert page.soup.select_one(".certificate-result a") is None
    assert other.get(f"/backoffice/submissions/{sid}").status == 404


def test_a_certificate_past_its_period_is_not_valid_today(app, sent):
    [certificate] = certificates(app)
    with services(app).sessions.begin() as s:
        s.execute(update(Certificate).where(Certificate.id == certificate.id).values(
            valid_from=date(2026, 1, 1), valid_to=date(2026, 3, 31)))
    _, _, portal = sent
    page = portal.get(f"/backoffice/certificates/verify?code={certificate.verification_code}")
    assert "is not valid today" in result(page)


def test_the_french_page(app, sent):
    [certificate] = certificates(app)
    _, _, portal = sent
    portal.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = portal.get(f"/backoffice/certificates/verify?code={certificate.verification_code}")
    assert "Vérifier une attestation" in page.h1
    assert "Attestation de droit aux prestations médicales" in result(page)
    assert "valable aujourd’hui" in result(page)
    unknown = portal.get("/backoffice/certificates/verify?code=AAAA")
    assert "Aucune attestation ne porte ce code." in result(unknown)


def test_a_member_and_a_visitor_cannot_check_a_code(app, sent):
    who, _, _ = sent
    [certificate] = certificates(app)
    path = f"/backoffice/certificates/verify?code={certificate.verification_code}"
    visitor = app.test_client()
    r = visitor.get(path)
    assert r.status_code == 303 and "/backoffice/login" in r.headers["Location"]
    portal = Portal(app.test_client())
    page = portal.login(who.identifier, who.password)
    assert page.status == 200
    assert portal.get(path, follow=False).status == 404


def test_codes_are_normalized_and_random():
    assert normalize_code(" k7qm 3pxd-9tra ") == "K7QM-3PXD-9TRA"
    assert normalize_code("K7QM3PXD9TR") is None  # too short
    assert normalize_code("K7QM-3PXD-9TR0") is None  # 0 is not a symbol of the codes
    from web.certificates import new_code
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(normalize_code(c) == c for c in codes)


# --- producers at start ------------------------------------------------------------------------

def test_the_app_refuses_to_start_with_a_workflow_naming_an_unknown_producer(settings,
                                                                              monkeypatch):
    import web.app
    from web import create_app
    from web.catalog import CatalogError
    from web.producers import registered

    assert "certificate" in registered()
    monkeypatch.setattr(web.app, "registered", lambda: {"receipt_copy": None})
    with pytest.raises(CatalogError) as refused:
        create_app(settings)
    message = str(refused.value)
    assert "certificate_request version 1, transition 'send' produces 'certificate'" in message
    assert "known producers: receipt_copy" in message


def test_a_producer_name_is_registered_once():
    from web.producers import producer, registered

    with pytest.raises(ValueError, match="registered twice"):
        producer("certificate")(lambda session, given: None)
    assert sorted(registered()) == ["certificate", "initial_password_letter"]
