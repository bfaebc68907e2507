"""The first-login journey from the start, in a real browser (issue 4): a visitor asks for online
access from the login page, a staff member of Immatriculation issues the password in the back
office, the letter is printed and its password read from the PDF, then the first login with it,
the forced change, the e-mail address and its validation link read from the SMTP capture, and
the services open."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import DESKTOP, LiveServer, SmtpCapture
from tests.e2e.test_back_office import press, staff_log_in
from tests.e2e.test_first_login import FORCED_NOTICE, deliver, first_link, log_in, path_of
from tests.factories import staff
from web.accounts.letters import print_pending
from web.accounts.policy import policy
from web.db.models import Household, Person, Submission

A11y = Callable[[Page, str], None]
Shot = Callable[[Page, str], Path]
REGISTRATION, BIRTH = "654321", date(1971, 4, 9)
IDENTIFIER = f"{REGISTRATION}-{BIRTH:%d%m%Y}"
RECORDED = "Votre demande est enregistrée : vous recevrez dans quelques jours par courrier"
NOT_ELIGIBLE = "Nous ne pouvons pas donner suite à votre demande en ligne"
NEW_PASSWORD = "Rivage9"
ADDRESS = "lucie.abonnee@example.mc"


@pytest.fixture
def live_server(live_server_smtp: LiveServer) -> LiveServer:
    return live_server_smtp


def continue_(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form.form button.button[value=continue]").click()


def fill_identity(page: Page, registration: str) -> None:
    page.fill("#registration", registration)
    page.fill("#birth_date", BIRTH.isoformat())
    page.locator("input[name=population][value=employee]").check()


def test_subscription_request_letter_first_login_and_email(
        page: Page, new_page: Callable[..., Page], live_server: LiveServer,
        smtp_capture: SmtpCapture, check_a11y: A11y, shot: Shot) -> None:
    app = live_server.app
    svc = app.extensions["csm"]
    with svc.sessions.begin() as s:  # in the registry, no account yet
        s.add(Household(id="H-SUB", address={"lines": ["5 boulevard des Moulins"],
                                             "postcode": "98000", "city": "Monaco"}))
        s.add(Person(id="P-SUB", registration=REGISTRATION, birth_date=BIRTH,
                     first_name="Lucie", last_name="Abonnée", household_id="H-SUB",
                     household_role="declarant"))

    # the visitor follows the login page's link
    page.goto("/login")
    with page.expect_navigation():
        page.get_by_role("link", name="Vous souhaitez vous abonner ?").click()
    expect(page.locator("h1")).to_have_text("Demande d'abonnement aux services en ligne")
    check_a11y(page, "subscription-intro")
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    assert re.fullmatch(r"/submissions/[^/]+/steps/identity", path_of(page)), page.url
    check_a11y(page, "subscription-identity")
    shot(page, "subscription-identity")

    # a wrong number: the refusal that reveals nothing
    fill_identity(page, "999999")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("main form.form button.button[value=continue]").click()
    assert answer.value.status == 422
    expect(page.locator(".error-summary")).to_contain_text(NOT_ELIGIBLE)
    check_a11y(page, "subscription-refused")
    shot(page, "subscription-refused")

    fill_identity(page, REGISTRATION)
    continue_(page)
    expect(page.locator("main")).to_contain_text("Récapitulatif")
    with page.expect_navigation():
        page.locator("#submit-form button[type=submit]:not([name])").click()
    expect(page.locator("main")).to_contain_text(RECORDED)
    sid = path_of(page).split("/")[2]
    with svc.sessions() as s:
        receipt = s.get(Submission, sid).receipt_number
    assert receipt and receipt.startswith("AB-")
    expect(page.locator("main")).to_contain_text(receipt)
    check_a11y(page, "subscription-recorded")
    shot(page, "subscription-recorded")

    # a staff member of Immatriculation issues the password in the back office
    desk = new_page(**DESKTOP)
    staff_log_in(desk, live_server, staff(app, roles=("immatriculation",)))
    desk.goto("/backoffice/queues/subscription")
    desk.fill("#q", receipt)
    with desk.expect_navigation():
        desk.locator("form.queue-filters button[type=submit]").click()
    rows = desk.locator(".queue-table tbody tr")
    expect(rows).to_have_count(1)
    with desk.expect_navigation():
        rows.locator("a").first.click()
    expect(desk.locator("h1")).to_contain_text(receipt)
    check_a11y(desk, "subscription-file")
    press(desk, "Envoyer le mot de passe par courrier")
    expect(desk.locator(".case-summary .status-tag")).to_have_text(
        "Mot de passe envoyé par courrier")
    shot(desk, "subscription-issued")

    # the visitor's page says so (same browser)
    page.goto(f"/submissions/{sid}")
    expect(page.locator(".status-tag")).to_have_text("Mot de passe envoyé par courrier")

    # the letters are printed: the password is in the PDF, and nowhere else
    with svc.sessions.begin() as s:
        run = print_pending(s, svc.passwords, policy(svc.settings.password_policy),
                            svc.clock.now())
    assert run.pdf is not None and [p.identifier for p in run.letters] == [IDENTIFIER]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(run.pdf)).pages)
    found = re.search(r"Identifiant\s+(\S+)\s+Mot de passe\s+(\S+)", text)
    assert found and found.group(1) == IDENTIFIER, text
    password = found.group(2)

    # first login with it: the forced change, then the e-mail address
    member_page = new_page(**DESKTOP)
    log_in(member_page, IDENTIFIER, password)
    assert path_of(member_page) == "/account/password", member_page.content()
    expect(member_page.locator(".notice--info")).to_contain_text(FORCED_NOTICE)
    member_page.fill("#current", password)
    member_page.fill("#new", NEW_PASSWORD)
    member_page.fill("#confirm", NEW_PASSWORD)
    with member_page.expect_navigation():
        member_page.locator("main form.form button[type=submit]").click()
    assert path_of(member_page) == "/account/email", member_page.content()
    member_page.fill("#email", ADDRESS)
    with member_page.expect_navigation():
        member_page.locator("main form.form button[type=submit]").click()
    report = deliver(live_server)
    assert len(report.sent) == 1, report
    [mail] = smtp_capture.messages()
    assert mail["To"] == ADDRESS
    link = first_link(mail)
    member_page.goto(link)
    with member_page.expect_navigation():
        member_page.get_by_role("button", name="Confirmer cette adresse").click()
    assert path_of(member_page) == "/", member_page.content()
    expect(member_page.locator("main .notice--success")).to_contain_text(
        "Votre adresse électronique est confirmée")
    # access opens: the procedures, and the request among "my requests"
    expect(member_page.locator("main .card").filter(has_text="Déclaration de ressources")) \
        .to_have_count(1)
    expect(member_page.locator("main")).to_contain_text(receipt)
    check_a11y(member_page, "subscription-access-open")
    shot(member_page, "subscription-access-open")
