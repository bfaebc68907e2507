"""The employer portal in a real browser (ref 004): the clients list, a client chosen, its
workforce with the period picker and the next page, its statements; every page checked with
axe-core, on the demo data."""

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
    expect(page.locator("h1")).to_have_text("Mes clients")
    check_a11y(page, "employer-clients")
    shot(page, "employer-clients")

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
