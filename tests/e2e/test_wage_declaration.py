"""A wage declaration in a real browser (issue 6's proof): the bakery chooses itself on the
synthesis, opens "Déclarations", declares November 2026: the period picker, the lines pre-filled
with its workforce, an event added to an employee (sick leave) and a contract end to another, an
employee added with their birth date and hiring event, the summary, the receipt; then the
history, the declaration in detail and its PDF read back. Every page is checked with axe."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pypdf
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_resource_declaration import act, path_of, step_of
from web.registry import import_registry, load_registry_file

A11y = Callable[[Page, str], None]
Shot = Callable[[Page, str], Path]
ROOT = Path(__file__).resolve().parents[2]
SPACES = re.compile(r"[\s\u00a0\u202f]+")


def test_an_employer_declares_a_period_with_events_and_an_added_employee(
        page: Page, live_server: LiveServer, check_a11y: A11y, shot: Shot) -> None:
    services = live_server.app.extensions["csm"]
    for name in ("registry.yaml", "employers.yaml"):
        with services.sessions.begin() as s:
            import_registry(s, load_registry_file(ROOT / "demo" / name), services.passwords)
    page.goto("/login")
    page.fill("#identifier", "300125")
    page.fill("#password", "Fournil5")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()

    # the synthesis: November's declaration is to make
    expect(page.locator("h1")).to_have_text("Synthèse de mes clients")
    expect(page.locator("main table")).to_contain_text("à effectuer")
    with page.expect_navigation():
        page.get_by_role("button", name="Boulangerie du Rocher — sélectionner ce client").click()
    with page.expect_navigation():
        page.locator("nav.client-nav").get_by_role("link", name="Déclarations").click()
    check_a11y(page, "wage-history-empty")
    with page.expect_navigation():
        page.get_by_role("button", name="Déclarer en brut").click()

    # the period: the current one first
    assert step_of(page) == "period", page.url
    expect(page.locator(".step-shows")).to_contain_text("Boulangerie du Rocher")
    expect(page.locator("#period option").nth(1)).to_have_text("novembre 2026")
    check_a11y(page, "wage-period")
    shot(page, "wage-period")
    page.select_option("#period", "2026-11")
    act(page, "continue")

    # the lines, pre-filled with November's workforce
    assert step_of(page) == "employees", page.url
    expect(page.locator("input[type=hidden][name$='-employee_id']")).to_have_count(3)
    expect(page.locator("#employees-0-last_name")).not_to_have_value("")
    amounts = {0: ("2 450,00", "151,67"), 1: ("1800.50", "120"), 2: ("900", "60")}
    for i, (gross, hours) in amounts.items():
        page.fill(f"#employees-{i}-gross", gross)
        page.fill(f"#employees-{i}-hours", hours)
    act(page, "add:employees-0-events")  # "Ajouter un événement" of the first employee
    expect(page.locator("#employees-0-gross")).to_have_value("2 450,00")  # kept
    page.select_option("#employees-0-events-0-kind", "sick_leave")
    page.fill("#employees-0-events-0-start", "2026-11-03")
    page.fill("#employees-0-events-0-end", "2026-11-07")
    act(page, "add:employees-0-events")
    page.select_option("#employees-0-events-1-kind", "contract_end")
    page.fill("#employees-0-events-1-end", "2026-11-30")
    act(page, "add:employees")  # "Ajouter un salarié"
    page.fill("#employees-3-last_name", "Nguyen")
    page.fill("#employees-3-first_name", "Lan")
    page.fill("#employees-3-birth_date", "1998-04-12")
    page.fill("#employees-3-gross", "300")
    page.fill("#employees-3-hours", "20")
    act(page, "add:employees-3-events")
    page.select_option("#employees-3-events-0-kind", "contract_start")
    page.fill("#employees-3-events-0-start", "2026-11-16")
    # a contract start has no end date: refused, at the event's field
    page.fill("#employees-3-events-0-end", "2026-11-20")
    act(page, "continue")
    expect(page.locator(".error-summary")).to_contain_text("n'a pas de date de fin")
    check_a11y(page, "wage-employees-errors")
    shot(page, "wage-employees-errors")
    page.fill("#employees-3-events-0-end", "")
    act(page, "continue")

    # the summary, then the receipt
    assert step_of(page) == "summary", page.url
    expect(page.locator("main")).to_contain_text("Nguyen")
    expect(page.locator("main")).to_contain_text("Arrêt maladie")
    check_a11y(page, "wage-summary")
    with page.expect_navigation():
        page.get_by_role("button", name="Transmettre").click()
    expect(page.locator("main")).to_contain_text("déclaration de salaires a bien été transmise")
    number = re.search(r"DS-\d{4}-\d{6}", page.locator("main").inner_text())
    assert number is not None
    check_a11y(page, "wage-receipt")
    shot(page, "wage-receipt")

    # the history, the declaration in detail, its PDF
    page.goto("/client/declarations")
    row = page.locator("table.declarations tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("novembre 2026")
    expect(row).to_contain_text(number.group(0))
    check_a11y(page, "wage-history")
    with page.expect_navigation():
        row.get_by_role("link", name="novembre 2026", exact=True).click()
    expect(page.locator("table.declaration-lines")).to_contain_text("Nguyen")
    expect(page.locator("table.declaration-lines")).to_contain_text("Fin du contrat de travail")
    check_a11y(page, "wage-detail")
    shot(page, "wage-detail")
    href = page.get_by_role("link", name="Télécharger la déclaration (PDF)").get_attribute("href")
    assert href is not None and path_of(page).startswith("/client/declarations/")
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.body()))
    text = SPACES.sub(" ", " ".join(p.extract_text() or "" for p in reader.pages))
    for expected in ("Boulangerie du Rocher", "novembre 2026", number.group(0), "Nguyen",
                     "Arrêt maladie", "Nombre de salariés : 4"):
        assert expected in text, (expected, text[:800])

    # the synthesis: November is declared, the client left the default list
    page.goto("/")
    expect(page.locator("main")).not_to_contain_text("Boulangerie du Rocher — sélectionner")
