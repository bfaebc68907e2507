"""The portal's front door: logging in and out, sessions, CSRF, redirects, languages, headers.

Everything goes through the real pages with CSRF protection on (tests/integration/portal_client).
French interface strings come from a gettext catalogue; the assertions rely on structure, status
codes and the messages of web/login.py and web/errors.py, which do not depend on it.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import member, staff
from tests.integration.portal_client import Page, Portal
from web.errors import CSRF_FAILED, NOT_FOUND
from web.login import BAD_CREDENTIALS

WRONG_PASSWORD = "Pas-le-bon-93"


def signed_in(portal: Portal) -> bool:
    """Whether the home page opens (it sends signed-out visitors to /login)."""
    page = portal.get("/", follow=False)
    assert page.status in (200, 302), page
    return page.status == 200


def local_target(location: str) -> str:
    """The path a redirect goes to, failing if it leaves the site."""
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), location
    return parts.path


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("csm_session")
    assert cookie is not None, "no session cookie"
    return str(cookie.value)


# -- the login page ------------------------------------------------------------------------------


def test_login_page_is_french_with_labelled_fields_and_a_csrf_token(client: FlaskClient) -> None:
    page = Portal(client).get("/login")
    assert page.status == 200
    assert page.lang == "fr"
    assert page.headers["Content-Type"].startswith("text/html")
    form = page.form()
    assert (page.attr("form.form", "method") or "").lower() == "post"
    assert form.get("action") == "/login"
    for name, kind in (("identifier", "text"), ("password", "password")):
        field = form.select_one(f"input[name={name}]")
        assert field is not None, name
        assert field.get("type") == kind
        label = form.select_one(f"label[for={field.get('id')}]")
        assert label is not None and label.get_text(strip=True), f"{name} has no label"
    token = form.select_one("input[type=hidden][name=csrf_token]")
    assert token is not None and len(str(token.get("value", ""))) > 20
    assert page.soup.select(".error-summary") == []


def test_good_credentials_lead_home(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    assert not signed_in(portal)
    page = portal.login(who.identifier, who.password)
    assert (page.status, page.path) == (200, "/")
    assert page.history and page.history[0][0] in (302, 303)
    assert page.soup.select_one("form[action='/logout'] input[name=csrf_token]") is not None
    assert signed_in(portal)


def test_bad_password_is_refused_keeping_the_identifier_not_the_password(
        app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    page = portal.login(who.identifier, WRONG_PASSWORD)
    assert (page.status, page.path) == (400, "/login")
    assert page.errors() == [BAD_CREDENTIALS.text("fr")]
    assert page.attr("form.form #identifier", "value") == who.identifier
    assert not page.attr("form.form #password", "value")
    assert WRONG_PASSWORD not in page.html
    assert not signed_in(portal)
    # the page answered is a working form: the right password from there opens the session
    page = portal.submit(portal.get("/login"), {"identifier": who.identifier,
                                                "password": who.password})
    assert (page.status, page.path) == (200, "/")


def test_unknown_identifier_gets_the_same_answer(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    wrong = portal.login(who.identifier, WRONG_PASSWORD)
    unknown = portal.login("999999-01011970", WRONG_PASSWORD)
    assert (unknown.status, unknown.path) == (wrong.status, wrong.path) == (400, "/login")
    assert unknown.errors() == wrong.errors() == [BAD_CREDENTIALS.text("fr")]
    assert not signed_in(portal)


def test_missing_password_is_refused(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    page = portal.submit(portal.get("/login"), {"identifier": who.identifier, "password": ""})
    assert page.status == 400
    assert len(page.errors()) == 1
    assert not signed_in(portal)


# -- CSRF ----------------------------------------------------------------------------------------


def test_login_without_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    page = portal.submit(portal.get("/login"), {"identifier": who.identifier,
                                                "password": who.password, "csrf_token": None})
    assert page.status == 400
    assert page.headers["Content-Type"].startswith("text/html")
    assert CSRF_FAILED.text("fr") in page.text
    assert not signed_in(portal)


def test_login_with_another_sessions_csrf_token_is_refused(app: Flask,
                                                           client: FlaskClient) -> None:
    who = member(app)
    theirs = Portal(app.test_client()).get("/login").csrf_token()
    portal = Portal(client)
    page = portal.get("/login")
    assert page.csrf_token() != theirs
    page = portal.submit(page, {"identifier": who.identifier, "password": who.password,
                                "csrf_token": theirs})
    assert page.status == 400
    assert CSRF_FAILED.text("fr") in page.text
    assert not signed_in(portal)


# -- where the login leads -----------------------------------------------------------------------


def test_next_page_is_honoured_after_login(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    page = portal.get("/login?next=/submissions/x")
    assert page.attr("form.form input[name=next]", "value") == "/submissions/x"
    page = portal.submit(page, {"identifier": who.identifier, "password": who.password},
                         follow=False)
    assert page.status in (302, 303)
    assert local_target(page.headers["Location"]) == "/submissions/x"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example",
                                    "/\\evil.example", "/\t/evil.example",
                                    "javascript:alert(1)"])
def test_next_page_to_another_site_goes_home(app: Flask, client: FlaskClient,
                                             target: str) -> None:
    who = member(app)
    portal = Portal(client)
    page = portal.get(f"/login?{urlencode({'next': target})}")
    page = portal.submit(page, {"identifier": who.identifier, "password": who.password},
                         follow=False)
    assert page.status in (302, 303)
    assert local_target(page.headers["Location"]) == "/"
    # and the same when the next field itself is forged in the POST
    portal = Portal(app.test_client())
    page = portal.submit(portal.get("/login"), {"identifier": who.identifier,
                                                "password": who.password, "next": target},
                         follow=False)
    assert page.status in (302, 303)
    assert local_target(page.headers["Location"]) == "/"


# -- logging out ---------------------------------------------------------------------------------


def test_logout_revokes_the_session_on_the_server(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    stolen = session_cookie(client)
    page = portal.logout()
    assert (page.status, page.path) == (200, "/login")
    assert not signed_in(portal)
    client.set_cookie("csm_session", stolen)
    page = portal.get("/", follow=False)
    assert page.status == 302
    assert local_target(page.headers["Location"]) == "/login"
    # the same cookie on another browser is worthless too
    other = app.test_client()
    other.set_cookie("csm_session", stolen)
    assert not signed_in(Portal(other))


def test_logout_by_get_is_not_allowed(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    page = portal.get("/logout")
    assert page.status == 405
    assert "POST" in page.headers.get("Allow", "")
    assert page.headers["Content-Type"].startswith("text/html")
    assert signed_in(portal)


def test_logout_needs_the_csrf_token(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    page = portal.post("/logout", {"csrf_token": None})
    assert page.status == 400
    assert signed_in(portal)


# -- the session cookie --------------------------------------------------------------------------


def test_session_cookie_is_http_only_and_same_site_lax(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    page = portal.submit(portal.get("/login"), {"identifier": who.identifier,
                                                "password": who.password}, follow=False)
    set_cookies = [v for v in page.headers.getlist("Set-Cookie")
                   if v.startswith("csm_session=")]
    assert len(set_cookies) == 1
    attributes = [a.strip().lower() for a in set_cookies[0].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    cookie = client.get_cookie("csm_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_login_gives_a_new_session(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    portal.get("/login")
    with client.session_transaction() as planted_session:
        planted_session["planted"] = "by someone else"
    before = session_cookie(client)
    portal.login(who.identifier, who.password)
    after = session_cookie(client)
    assert after != before
    with client.session_transaction() as fresh:
        assert "planted" not in fresh and fresh.get("token")
    # the session the visitor came with (say one planted by someone else) stays signed out
    planted = app.test_client()
    planted.set_cookie("csm_session", before)
    assert not signed_in(Portal(planted))
    assert signed_in(portal)


# -- headers -------------------------------------------------------------------------------------


def assert_page_headers(page: Page) -> None:
    csp = page.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'"
    assert "default-src" in directives
    assert page.headers.get("X-Content-Type-Options") == "nosniff"
    assert page.headers.get("Referrer-Policy")
    assert "no-store" in page.headers.get("Cache-Control", "")
    # nothing the CSP would block: no inline script or style in the page itself
    assert page.soup.find("script") is None and page.soup.find("style") is None
    assert page.soup.select("[style]") == []


def test_security_headers_on_pages(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    page = portal.get("/login")
    assert page.status == 200
    assert_page_headers(page)
    page = portal.login(who.identifier, who.password)
    assert (page.status, page.path) == (200, "/")
    assert_page_headers(page)


def test_static_files_are_cacheable(client: FlaskClient) -> None:
    page = Portal(client).get("/static/css/portal.css")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/css")
    assert "no-store" not in page.headers.get("Cache-Control", "")
    assert page.headers.get("X-Content-Type-Options") == "nosniff"


# -- language ------------------------------------------------------------------------------------


def test_language_switch_returns_to_the_page_in_english(app: Flask,
                                                       client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    assert portal.get("/login").lang == "fr"
    page = portal.get("/language/en?next=/login")
    assert (page.status, page.path, page.lang) == (200, "/login", "en")
    page = portal.login(who.identifier, WRONG_PASSWORD)
    assert page.errors() == [BAD_CREDENTIALS.text("en")]
    page = portal.login(who.identifier, who.password)  # the choice survives the new session
    assert (page.path, page.lang) == ("/", "en")
    page = portal.get("/language/fr?next=/")
    assert (page.path, page.lang) == ("/", "fr")


def test_unknown_language_is_ignored(client: FlaskClient) -> None:
    portal = Portal(client)
    page = portal.get("/language/xx?next=/login")
    assert (page.status, page.path, page.lang) == (200, "/login", "fr")
    portal.get("/language/en?next=/login")
    page = portal.get("/language/de?next=/login")
    assert (page.status, page.path, page.lang) == (200, "/login", "en")


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/login",
                                    "/\t/evil.example"])
def test_language_switch_stays_on_the_site(client: FlaskClient, target: str) -> None:
    page = Portal(client).get(f"/language/en?{urlencode({'next': target})}", follow=False)
    assert page.status in (302, 303)
    assert local_target(page.headers["Location"]) == "/"


# -- locked and staff accounts -------------------------------------------------------------------


def test_too_many_failures_lock_the_account(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    svc = app.extensions["csm"]
    limit = svc.settings.login_max_failures
    pause = timedelta(seconds=svc.settings.login_delay_max_seconds)  # past any delay
    svc.clock.freeze()
    portal = Portal(client)
    for _ in range(limit - 1):
        assert portal.login(who.identifier, WRONG_PASSWORD).errors() == \
            [BAD_CREDENTIALS.text("fr")]
        svc.clock.advance(pause)
    page = portal.login(who.identifier, who.password)  # one short of the limit: still opens
    assert (page.status, page.path) == (200, "/")
    portal.logout()
    for _ in range(limit):
        portal.login(who.identifier, WRONG_PASSWORD)
        svc.clock.advance(pause)
    page = portal.login(who.identifier, who.password)
    # locked: the right password is refused, with the very answer of a wrong one
    assert (page.status, page.path) == (400, "/login")
    assert page.errors() == [BAD_CREDENTIALS.text("fr")]
    assert "Trop de tentatives" not in page.text
    assert not signed_in(portal)


def test_staff_account_sees_no_member_procedure(app: Flask, client: FlaskClient) -> None:
    who = member(app)
    agent = staff(app)
    titles = [wf.title.text("fr") for wf in app.extensions["csm"].catalog.all_current()
              if wf.audience == "member"]
    assert titles
    page = Portal(client).login(who.identifier, who.password)
    assert page.soup.select("form[action^='/procedures/']"), "the member sees the procedures"
    assert all(title in page.text for title in titles)
    portal = Portal(app.test_client())
    page = portal.login(agent.identifier, agent.password)
    assert (page.status, page.path) == (200, "/")
    assert page.soup.select_one("form[action='/logout']") is not None
    assert page.soup.select("form[action^='/procedures/']") == []
    assert not any(title in page.text for title in titles)


# -- error pages ---------------------------------------------------------------------------------


def test_unknown_page_is_an_html_page_in_the_layout(client: FlaskClient) -> None:
    page = Portal(client).get("/no-such-page")
    assert page.status == 404
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.lang == "fr"
    assert page.soup.select_one("header.site-header") is not None
    assert page.soup.select_one("main#main h1") is not None
    assert NOT_FOUND.text("fr") in page.text
    assert_page_headers(page)


def test_unknown_api_path_is_still_problem_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/unknown")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json is not None and response.json["status"] == 404
