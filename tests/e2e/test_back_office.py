"""A file's whole life in real browsers: a member submits, a staff member signs in to the back
office with password and authenticator code, asks for documents then accepts; the member sees
each new status and the message, and the e-mail reaches a real SMTP server (issue 5's proof).
Every back-office page is checked with axe and photographed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, LiveServer, SmtpCapture
from tests.e2e.test_first_login import deliver, path_of, text_of
from tests.e2e.test_resource_declaration import (
    accept_terms,
    choose_situation,
    log_in,
    start_procedure,
    submit,
)
from tests.factories import member, staff, totp_code
from web.accounts.mail_options import set_mail_channel
from web.db.models import Account

A11y = Callable[[Page, str], None]
Shot = Callable[[Page, str], Path]
REASON = "Merci de nous transmettre votre avis d'imposition 2025."
AWAITING = ("Nous demeurons dans l'attente de pièces complémentaires. Merci de bien vouloir nous"
            " contacter.")


@pytest.fixture
def live_server(live_server_smtp: LiveServer) -> LiveServer:
    return live_server_smtp


def staff_log_in(page: Page, server: LiveServer, who: object) -> None:
    page.goto("/backoffice/")
    assert path_of(page) == "/backoffice/login"
    page.fill("#identifier", who.identifier)  # type: ignore[attr-defined]
    page.fill("#password", who.password)  # type: ignore[attr-defined]
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    assert path_of(page) == "/backoffice/second-factor", page.content()
    page.fill("#code", totp_code(server.app, who))  # type: ignore[arg-type]
    with page.expect_navigation():
        page.locator("main form.form button[type=submit]").click()
    assert path_of(page).startswith("/backoffice"), page.content()
    assert path_of(page) not in ("/backoffice/login", "/backoffice/second-factor")


def press(page: Page, title: str) -> None:
    with page.expect_navigation():
        page.locator(f"button[name=transition]:has-text('{title}')").click()


def test_a_member_submits_staff_process_the_member_is_told(
        page: Page, new_page: Callable[..., Page], live_server: LiveServer,
        smtp_capture: SmtpCapture, check_a11y: A11y, shot: Shot) -> None:
    app = live_server.app
    who = member(app)
    svc = app.extensions["csm"]
    with svc.sessions.begin() as s:  # the member chose e-mail in their mail options
        account = s.get(Account, who.account_id)
        address = account.email
        set_mail_channel(s, account, "email", svc.clock.now())

    # the member submits a declaration
    log_in(page, who)
    start_procedure(page)
    accept_terms(page, lambda *_: None, lambda *_: Path())
    choose_situation(page, "other_scheme")
    receipt = submit(page)
    member_url = page.url.split("#")[0]

    # a staff member of Immatriculation signs in with the second factor and finds it
    agent = staff(app, roles=("immatriculation",))
    desk = new_page(**DESKTOP)
    staff_log_in(desk, live_server, agent)
    desk.goto("/backoffice/queues/resource_declaration")
    check_a11y(desk, "queue")
    shot(desk, "queue")
    desk.fill("#q", receipt)
    with desk.expect_navigation():
        desk.locator("form.queue-filters button[type=submit]").click()
    rows = desk.locator(".queue-table tbody tr")
    expect(rows).to_have_count(1)
    with desk.expect_navigation():
        rows.locator("a").first.click()
    expect(desk.locator("h1")).to_contain_text(receipt)
    check_a11y(desk, "file")
    shot(desk, "file")

    # takes it: the member can no longer change it
    press(desk, "Prendre en charge")
    expect(desk.locator(".case-summary .status-tag")).to_have_text("En cours de traitement")
    page.goto("/")
    page.goto(member_url)
    expect(page.locator(".status-tag")).to_have_text("En cours de traitement")
    expect(page.locator("main")).to_contain_text("ne peut plus être modifiée")

    # asking for documents needs a reason: refused without, then done with one
    with desk.expect_response(lambda r: r.request.method == "POST") as answer:
        desk.locator("button[name=transition]:has-text('Demander des justificatifs')").click()
    assert answer.value.status == 422
    expect(desk.locator(".error-summary")).to_contain_text("motif")
    check_a11y(desk, "reason-required")
    shot(desk, "reason-required")
    desk.fill("#comment", REASON)
    press(desk, "Demander des justificatifs")
    expect(desk.locator(".case-summary .status-tag")).to_have_text("En attente de justificatifs")
    expect(desk.locator("#history-title ~ table tbody tr").last).to_contain_text(REASON)
    shot(desk, "documents-requested")

    # the member's page says what the manual says, and lists the message
    page.goto("/")
    page.goto(member_url)
    expect(page.locator("#state-notice")).to_have_text(AWAITING)
    expect(page.locator(".message")).to_contain_text(REASON)
    check_a11y(page, "member-awaiting-documents")
    shot(page, "member-awaiting-documents")

    # the e-mail goes out through the outbox worker to the SMTP server
    report = deliver(live_server)
    assert len(report.sent) == 1, report
    [mail] = smtp_capture.messages()
    assert mail["To"] == address
    assert mail["Subject"] == (
        f"Déclaration de ressources {receipt} : pièces complémentaires attendues")
    body = text_of(mail)
    assert REASON in body and AWAITING in body

    # staff accept; the member sees the decision, and a second e-mail follows
    press(desk, "Valider")
    expect(desk.locator(".case-summary .status-tag")).to_have_text("Traitée")
    page.goto("/")
    expect(page.locator(".messages__item").first).to_contain_text("déclaration traitée")
    page.goto("/")
    page.goto(member_url)
    expect(page.locator(".status-tag")).to_have_text("Traitée")
    assert len(deliver(live_server).sent) == 1
    assert smtp_capture.messages()[-1]["Subject"].endswith(": déclaration traitée")
    assert path_of(page).startswith("/submissions/")
