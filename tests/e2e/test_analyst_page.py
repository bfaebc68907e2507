"""The analyst tools in a real browser (issue 8's proof): an analyst signs in to the back office,
reads the check report and the scenario results, opens a workflow drawn as SVG (its step boxes
with the live drafts, the lifecycle beside it, the Mermaid text to copy), then previews two steps
as a fictional member would fill them, nothing stored. Every page is checked with axe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.e2e.conftest import LiveServer
from tests.e2e.test_back_office import staff_log_in
from tests.factories import staff
from web.db.models import Submission

A11y = Callable[[Page, str], None]
Shot = Callable[[Page, str], Path]


def submissions_count(server: LiveServer) -> int:
    with server.app.extensions["csm"].sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Submission)) or 0)


def go(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.locator(f"#step-form .actions button[value={button}]").click()


def test_an_analyst_checks_draws_and_previews(page: Page, live_server: LiveServer,
                                              check_a11y: A11y, shot: Shot) -> None:
    analyst = staff(live_server.app, roles=("analyst",))
    staff_log_in(page, live_server, analyst)
    with page.expect_navigation():
        page.get_by_role("link", name="Outils d'analyse").click()
    expect(page.locator("h1")).to_have_text("Outils d'analyse")
    expect(page.locator(".check-ok")).to_have_text("Aucun problème trouvé.")
    expect(page.locator(".scenario-table tbody tr").first).to_be_visible()
    check_a11y(page, "analyst check report")
    shot(page, "check-report")

    with page.expect_navigation():
        page.locator(".workflow-table a[href*='/workflows/resource_declaration']").last.click()
    svg = page.locator("#filling-figure svg[role=img]")
    expect(svg).to_be_visible()
    boxes = svg.locator("g[data-step] rect")
    assert boxes.count() >= 6
    box = boxes.first.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 20  # really drawn
    expect(svg.locator("g[data-step=terms]")).to_contain_text("terms")
    expect(page.locator("#lifecycle-figure svg g[data-state]").first).to_be_visible()
    expect(page.locator("#filling-text")).to_contain_text("flowchart TD")
    check_a11y(page, "analyst workflow page")
    shot(page, "workflow")

    before = submissions_count(live_server)
    with page.expect_navigation():
        page.get_by_role("link", name="Prévisualiser cette version").click()
    expect(page.locator(".preview-banner")).to_contain_text("rien n'est enregistré")
    page.locator("#persona-form input[value=dupont_family]").check()
    with page.expect_navigation():
        page.locator("#persona-form button[type=submit]").click()
    expect(page.locator("input[name=step]")).to_have_value("terms")
    check_a11y(page, "analyst preview, first step")
    go(page, "continue")  # nothing accepted: the errors are shown
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".field-error").first).to_be_visible()
    check_a11y(page, "analyst preview, errors")
    with page.expect_navigation():
        page.locator("#step-form button[value='open:cgu']").click()
    page.locator("#step-form input[type=checkbox]").first.check()
    go(page, "continue")
    expect(page.locator("input[name=step]")).to_have_value("situation")
    expect(page.locator(".progress__step--done")).to_have_count(1)
    check_a11y(page, "analyst preview, second step")
    shot(page, "preview-second-step")
    assert submissions_count(live_server) == before
