"""Logging in and out in a real browser: accessibility, JavaScript off, a phone's screen."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.factories import Member


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def log_in(page: Page, who: Member) -> None:
    page.fill("#identifier", who.identifier)
    page.fill("#password", who.password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()


def assert_no_horizontal_scroll(page: Page, where: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], \
        f"{where}: the page is {widths[0]}px wide on a {widths[1]}px screen (horizontal scroll)"


def test_log_in_then_out_and_the_session_is_over(page, live_server, demo_member, check_a11y,
                                                 shot):
    page.goto("/")
    assert path_of(page) == "/login"
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    check_a11y(page, "login")
    shot(page, "login")

    log_in(page, demo_member)
    assert path_of(page) == "/", page.content()
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("header")).to_contain_text("Dupont")
    check_a11y(page, "home")
    shot(page, "home")

    page.locator("header form[action='/logout'] button[type=submit]").click()
    page.wait_for_load_state()
    assert path_of(page) == "/login"
    expect(page.locator("header form[action='/logout']")).to_have_count(0)
    shot(page, "logged-out")

    page.go_back()  # the pages are no-store: the home page is asked for again, and refused
    expect(page.locator("header form[action='/logout']")).to_have_count(0)
    page.reload()
    assert path_of(page) == "/login", "back then reload: the home page opened without a session"
    page.goto("/")
    assert path_of(page) == "/login", "the home page opened after logging out"


def test_login_works_without_javascript(nojs_page, demo_member, shot):
    page = nojs_page
    page.goto("/")
    assert path_of(page) == "/login"
    log_in(page, demo_member)
    assert path_of(page) == "/", page.content()
    expect(page.locator("h1")).to_have_count(1)
    shot(page, "home-nojs")
    page.locator("header form[action='/logout'] button[type=submit]").click()
    page.wait_for_load_state()
    assert path_of(page) == "/login"


def test_login_on_a_phone(phone_page, demo_member, check_a11y, shot):
    page = phone_page
    page.goto("/login")
    assert_no_horizontal_scroll(page, "login page")
    shot(page, "login-phone")
    log_in(page, demo_member)
    assert path_of(page) == "/", page.content()
    expect(page.locator("h1")).to_have_count(1)
    assert_no_horizontal_scroll(page, "home page")
    check_a11y(page, "home-phone")
    shot(page, "home-phone")
