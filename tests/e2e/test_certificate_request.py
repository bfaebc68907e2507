"""A certificate request in real browsers (issue 7's proof): the member checks the address shown,
finds the document by domain, chooses the beneficiary, submits and sees the confirmation with the
offer of another request; a staff member of the Prestations service prepares the request and marks
it sent by post; the member sees the new status and the message. Every page is checked with axe.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, LiveServer
from tests.e2e.test_back_office import press, staff_log_in
from tests.e2e.test_resource_declaration import act, log_in, path_of, step_of
from tests.factories import member, staff

A11y = Callable[[Page, str], None]
Shot = Callable[[Page, str], Path]
PROCEDURE = "Demande d'attestation ou de document"
DOCUMENT = "Attestation de droit aux prestations médicales"
RECEIPT_NUMBER = re.compile(r"DA-\d{4}-\d+")


def on_step(page: Page, step: str) -> None:
    assert step_of(page) == step, f"expected the {step!r} step, at {page.url}"


def test_a_member_requests_a_certificate_staff_send_it(
        page: Page, new_page: Callable[..., Page], live_server: LiveServer,
        check_a11y: A11y, shot: Shot) -> None:
    app = live_server.app
    who = member(app, spouse=True, children=1)
    log_in(page, who)
    with page.expect_navigation():
        page.locator("form[action$='/procedures/certificate_request/start']"
                     " button[type=submit]").click()

    # the address the fund holds, shown for information
    on_step(page, "address")
    expect(page.locator(".step-shows")).to_contain_text("1 rue Grimaldi")
    check_a11y(page, "certificate-address")
    shot(page, "certificate-address")
    page.check("input[name=status][value=correct]")
    act(page, "continue")

    # the domain, then the documents of that domain
    on_step(page, "search")
    page.select_option("#domain", "medical")
    act(page, "continue")
    on_step(page, "document")
    check_a11y(page, "certificate-document")
    page.get_by_label(DOCUMENT).check()
    act(page, "continue")

    # the beneficiary among the household, and a comment
    on_step(page, "details")
    expect(page.locator("input[name=beneficiary]")).to_have_count(3)
    page.locator("label:has-text('(enfant)')").click()
    page.fill("#comment", "Pour l'inscription à la crèche.")
    check_a11y(page, "certificate-details")
    act(page, "continue")

    # the summary names the document and the child; submitting gives the confirmation
    on_step(page, "summary")
    expect(page.locator("main")).to_contain_text(DOCUMENT)
    expect(page.locator("main")).to_contain_text("Enfant0")
    with page.expect_navigation():
        page.locator("#submit-form button[type=submit]:not([name])").click()
    confirmation = page.locator("#confirmation")
    expect(confirmation).to_be_visible()
    expect(confirmation.locator("h1")).to_have_text(PROCEDURE)
    receipt = confirmation.locator(".receipt-number").inner_text().strip()
    assert RECEIPT_NUMBER.fullmatch(receipt), receipt
    expect(page.locator("button:has-text('Faire une autre demande')")).to_be_visible()
    check_a11y(page, "certificate-confirmation")
    shot(page, "certificate-confirmation")
    member_url = page.url.split("#")[0]

    # the Prestations service prepares it, then marks it sent by post
    agent = staff(app, roles=("prestations",))
    desk = new_page(**DESKTOP)
    staff_log_in(desk, live_server, agent)
    desk.goto("/backoffice/queues/certificate_request")
    rows = desk.locator(".queue-table tbody tr")
    expect(rows).to_have_count(1)
    with desk.expect_navigation():
        rows.locator("a").first.click()
    expect(desk.locator("h1")).to_contain_text(receipt)
    expect(desk.locator("main")).to_contain_text(DOCUMENT)
    press(desk, "Préparer")
    expect(desk.locator(".case-summary .status-tag")).to_have_text("En cours de préparation")
    press(desk, "Marquer envoyée par courrier")
    expect(desk.locator(".case-summary .status-tag")).to_have_text("Envoyée par courrier")
    check_a11y(desk, "certificate-sent")
    shot(desk, "certificate-sent")

    # the member sees it, with the message and the history
    page.goto("/")
    page.goto(member_url)
    expect(page.locator(".status-tag")).to_have_text("Envoyée par courrier")
    expect(page.locator(".message")).to_contain_text("envoyé par courrier")
    expect(page.locator(".history")).to_contain_text("Marquer envoyée par courrier")
    check_a11y(page, "certificate-member-sent")
    shot(page, "certificate-member-sent")
    assert path_of(page).startswith("/submissions/")

    # another request starts from the confirmation's button
    page.goto("/")
    with page.expect_navigation():
        page.locator("form[action$='/procedures/certificate_request/start']"
                     " button[type=submit]").click()
    on_step(page, "address")
