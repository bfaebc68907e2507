"""The employer portal in a real browser (ref 004): the clients list, a client chosen, its
workforce with the period picker and the next page, its statements, a payslip (list, form,
result); every page checked with axe-core, on the demo data."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_account_pages import Check, Shot, path_of
from web.registry import import_registry, load_registry_file
from web.registry.generate import workforce

ROOT = Path(__file__).resolve().parents[2]


def test_a_firm_chooses_a_client_and_reads_its_workforce_and_statements(
        page: Page, live_server: LiveServer, check_a11y: Check, shot: Shot) -> None:
    services = live_server.app.extensions["csm"]
    for name in ("registry.yaml", "employers.yaml"):
        with services.sessions.begin() as s:
            import_registry(s, load_registry_file(ROOT / "demo" / name), services.passwords)
    with services.sessions.begin() as s:
        import_registry(s, workforce("EMP-0002", 250, services.clock.today()),
                        services.passwords)
    page.goto("/login")
    page.fill("#identifier", "300781")
    page.fill("#password", "Bilan7rz")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Synthèse de mes clients")  # the home (ref 004)
    check_a11y(page, "employer-synthesis")
    shot(page, "employer-synthesis")

    page.get_by_role("button", name="Hôtel Bellevue Larvotto — sélectionner ce client").click()
    page.wait_for_load_state()
    assert path_of(page) == "/client/workforce"
    expect(page.locator("table.workforce tbody tr")).to_have_count(100)
    check_a11y(page, "employer-workforce")
    shot(page, "employer-workforce")
    page.get_by_role("link", name="Page suivante").click()
    page.wait_for_load_state()
    expect(page.locator("table.workforce tbody tr")).to_have_count(100)
    page.select_option("#period", "2026-08")
    page.get_by_role("button", name="OK").click()
    page.wait_for_load_state()
    expect(page.locator("h2").first).to_contain_text("2026-08")

    page.get_by_role("link", name="Relevés de cotisations").click()
    page.wait_for_load_state()
    expect(page.locator("table.statements tbody tr")).to_have_count(1)
    check_a11y(page, "employer-statements")
    shot(page, "employer-statements")


def test_a_payslip_from_the_list_to_the_result_and_back(
        page: Page, live_server: LiveServer, check_a11y: Check, shot: Shot) -> None:
    """The manual's three screens (ref 004, "Bulletins de salaire"): the workforce of a month,
    the form (its errors, one more element), the result with "Modifier"."""
    services = live_server.app.extensions["csm"]
    for name in ("registry.yaml", "employers.yaml"):
        with services.sessions.begin() as s:
            import_registry(s, load_registry_file(ROOT / "demo" / name), services.passwords)
    page.goto("/login")
    page.fill("#identifier", "300125")
    page.fill("#password", "Fournil5")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Boulangerie du Rocher — sélectionner ce client").click()
    page.wait_for_load_state()
    page.locator("nav.client-nav").get_by_role("link", name="Bulletins de salaire").click()
    page.wait_for_load_state()
    assert path_of(page) == "/client/payslips"
    expect(page.locator("table.payslip-employees tbody tr")).to_have_count(3)
    check_a11y(page, "employer-payslips")
    shot(page, "employer-payslips")

    page.locator("table.payslip-employees a", has_text="120345").click()
    page.wait_for_load_state()
    expect(page.locator(".notice--warning")).to_contain_text("congés payés et préavis")
    check_a11y(page, "employer-payslip-form")
    page.get_by_role("button", name="Calculer").click()
    page.wait_for_load_state()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#hourly_rate-error")).to_be_visible()
    check_a11y(page, "employer-payslip-errors")
    shot(page, "employer-payslip-errors")

    page.fill("#hourly_rate", "15,00")
    page.fill("#hours", "151,67")
    page.get_by_role("button", name="Afficher plus d'éléments").click()
    page.wait_for_load_state()
    expect(page.locator("fieldset.repeat__item")).to_have_count(2)
    expect(page.locator("#hourly_rate")).to_have_value("15,00")
    page.fill("#extra_label_1", "Prime")
    page.fill("#extra_amount_1", "100")
    page.get_by_role("button", name="Calculer").click()
    page.wait_for_load_state()
    expect(page.locator("table.payslip-lines tbody tr")).to_have_count(5)
    expect(page.locator("#net dd")).to_contain_text("€")
    check_a11y(page, "employer-payslip-result")
    shot(page, "employer-payslip-result")
    page.get_by_role("button", name="Modifier").click()
    page.wait_for_load_state()
    expect(page.locator("#extra_label_1")).to_have_value("Prime")
