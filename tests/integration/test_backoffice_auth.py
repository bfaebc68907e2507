"""Staff sign-in on the back office: password, then the code of an authenticator (TOTP), a staff
session of its own (issue 5; SECURITY.md AUTH-11, SESS-01, SESS-02, SESS-04, AC-02, LOG-02).

Pages are driven through the real forms (CSRF on) by the test browser of portal_client.py. Time
is moved with the app's clock (``freeze`` then ``advance``). Every test runs on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.factories import Staff, member, staff, totp_code
from tests.integration.api_client import Api
from tests.integration.portal_client import Page, Portal
from web.accounts import totp
from web.db.models import Account, ApiToken, LoginRecord, LoginThrottle
from web.login import BAD_CODE, BAD_CREDENTIALS, code_throttle_key, throttle_key
from web.security_log import LOGGER
from web.settings import Settings, SettingsError

TOKEN_URL = "/api/v1/auth/token"
WRONG = "Pas-le-bon-93"


def browser(app: Flask) -> FlaskClient:
    """A browser asking for English pages (the French catalogue of the new texts comes later;
    the portal's own texts are tested in French elsewhere)."""
    found = app.test_client()
    found.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return found


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return browser(app)


@pytest.fixture
def svc(app: Flask) -> Any:
    """The app's services, its clock stopped: only ``svc.clock.advance`` moves time."""
    services = app.extensions["csm"]
    services.clock.freeze()
    return services


@pytest.fixture
def agent(app: Flask, svc: Any) -> Staff:
    return staff(app, roles=("immatriculation", "prestations"))


def where(response: Any) -> tuple[int, str, dict[str, list[str]]]:
    """Status, local path and query of a redirect (failing if it leaves the site)."""
    parts = urlsplit(response.headers.get("Location", ""))
    assert parts.netloc in ("", "localhost"), parts
    return response.status_code, parts.path, parse_qs(parts.query)


def password_step(portal: Portal, identifier: str, password: str,
                  path: str = "/backoffice/login") -> Page:
    return portal.submit(portal.get(path), {"identifier": identifier, "password": password})


def sign_in(app: Flask, portal: Portal, who: Staff, steps: int = 0) -> Page:
    page = password_step(portal, who.identifier, who.password)
    assert page.path == "/backoffice/second-factor", page.text
    return portal.submit(page, {"code": totp_code(app, who, steps)})


def wrong_code(app: Flask, who: Staff) -> str:
    """A six-digit code that no step near now gives."""
    near = {totp_code(app, who, steps) for steps in range(-3, 4)}
    return next(code for n in range(1_000_000) if (code := f"{n:06d}") not in near)


def back_office(portal: Portal) -> Any:
    return portal.client.get("/backoffice/")


def throttle(app: Flask, key: str) -> LoginThrottle | None:
    with app.extensions["csm"].sessions() as s:
        return s.get(LoginThrottle, key)


def account(app: Flask, account_id: str) -> Account:
    with app.extensions["csm"].sessions() as s:
        found = s.get(Account, account_id)
        assert found is not None
        return found


def outcomes(app: Flask, account_id: str) -> list[tuple[str, str]]:
    with app.extensions["csm"].sessions() as s:
        return [(r.outcome, r.channel) for r in s.scalars(
            select(LoginRecord).where(LoginRecord.account_id == account_id)
            .order_by(LoginRecord.id))]


def events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == LOGGER]


def api_token(client: FlaskClient, identifier: str, password: str, **extra: str) -> Any:
    return client.post(TOKEN_URL, json={"identifier": identifier, "password": password,
                                        **extra})


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


# -- the two steps -------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_the_login_page_then_back(app: Flask, agent: Staff,
                                                       client: FlaskClient) -> None:
    assert where(client.get("/backoffice/")) == (303, "/backoffice/login",
                                                 {"next": ["/backoffice/"]})
    portal = Portal(client)
    page = portal.get("/backoffice/login?next=/backoffice/")
    assert page.status == 200 and page.h1 == "Back office: staff login"
    assert page.attr("#identifier", "autocomplete") == "username"
    assert page.attr("label[for=password]", "for") == "password"
    page = portal.submit(page, {"identifier": agent.identifier, "password": agent.password})
    assert page.path == "/backoffice/second-factor"
    page = portal.submit(page, {"code": totp_code(app, agent)})
    assert (page.status, page.path) == (200, "/backoffice/")
    assert agent.identifier.replace("agent", "Agent ") in page.text
    assert "(immatriculation)" in page.text and "(prestations)" in page.text
    assert "(recouvrement)" not in page.text
    assert page.soup.select_one("form[action='/backoffice/logout'] button") is not None


def test_password_only_goes_to_the_code_page_never_further(app: Flask, agent: Staff,
                                                           client: FlaskClient) -> None:
    portal = Portal(client)
    page = password_step(portal, agent.identifier, agent.password)
    assert (page.status, page.path) == (200, "/backoffice/second-factor")
    assert page.h1 == "Authentication code"
    assert page.attr("#code", "autocomplete") == "one-time-code"
    assert page.attr("#code", "inputmode") == "numeric"
    with client.session_transaction() as cookie_session:  # only the marker: no session yet
        assert set(cookie_session) >= {"staff_pending"} and "staff_token" not in cookie_session
    assert where(back_office(portal))[:2] == (303, "/backoffice/second-factor")
    assert page.soup.select_one("code.secret") is None  # enrolled: no key shown, no QR
    assert client.get("/backoffice/second-factor/qr.svg").status_code == 404
    assert outcomes(app, agent.account_id) == [("password_ok", "backoffice")]


def test_the_right_code_opens_a_new_session(app: Flask, agent: Staff,
                                            client: FlaskClient) -> None:
    portal = Portal(client)
    portal.get("/backoffice/login")
    before = client.get_cookie("csm_session")
    page = password_step(portal, agent.identifier, agent.password)
    pending = client.get_cookie("csm_session")
    page = portal.submit(page, {"code": totp_code(app, agent)})
    assert page.path == "/backoffice/"
    after = client.get_cookie("csm_session")
    assert before is not None and pending is not None and after is not None
    assert len({before.value, pending.value, after.value}) == 3  # SESS-02: new at each step
    assert back_office(portal).status_code == 200
    stale = browser(app)  # the "code pending" cookie opens nothing but the code page
    stale.set_cookie("csm_session", pending.value)
    assert where(stale.get("/backoffice/"))[:2] == (303, "/backoffice/second-factor")
    assert outcomes(app, agent.account_id) == [("password_ok", "backoffice"),
                                               ("success", "backoffice")]
    assert account(app, agent.account_id).totp_last_step == totp.step_at(app.extensions[
        "csm"].clock.now())


def test_a_wrong_code_is_refused_and_the_login_still_waits_for_the_right_one(
        app: Flask, agent: Staff, client: FlaskClient) -> None:
    portal = Portal(client)
    page = password_step(portal, agent.identifier, agent.password)
    page = portal.submit(page, {"code": wrong_code(app, agent)})
    assert (page.status, page.path) == (400, "/backoffice/second-factor")
    assert page.errors() == [BAD_CODE.text("en")]
    assert page.attr("#code", "aria-invalid") == "true"
    assert where(back_office(portal))[:2] == (303, "/backoffice/second-factor")
    page = portal.submit(page, {"code": ""})
    assert page.status == 400
    assert page.errors() == ["Enter the 6-digit code shown by your authenticator app."]
    page = portal.submit(page, {"code": totp_code(app, agent)})
    assert page.path == "/backoffice/"
    assert outcomes(app, agent.account_id)[1] == ("code_refused", "backoffice")


def test_a_code_is_accepted_once(app: Flask, agent: Staff, client: FlaskClient,
                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    code = totp_code(app, agent)
    first = Portal(client)
    assert sign_in(app, first, agent).path == "/backoffice/"
    other = Portal(browser(app))  # the same code, seen over a shoulder, same 30 seconds
    page = password_step(other, agent.identifier, agent.password)
    page = other.submit(page, {"code": code})
    assert (page.status, page.path) == (400, "/backoffice/second-factor")
    assert page.errors() == [BAD_CODE.text("en")]
    assert "second_factor_replayed" in [e["event"] for e in events(caplog)]
    app.extensions["csm"].clock.advance(timedelta(seconds=totp.INTERVAL))  # a step later
    assert other.submit(page, {"code": code}).status == 400  # still the used step
    assert other.submit(other.page, {"code": totp_code(app, agent)}).path == "/backoffice/"


@pytest.mark.parametrize(("steps", "accepted"), [(-2, False), (-1, True), (1, True),
                                                 (2, False)])
def test_one_step_of_drift_either_side_and_no_more(app: Flask, agent: Staff,
                                                   client: FlaskClient, steps: int,
                                                   accepted: bool) -> None:
    page = sign_in(app, Portal(client), agent, steps)
    assert (page.path == "/backoffice/") is accepted, (steps, page.errors())


def test_check_tells_wrong_from_replayed() -> None:
    secret, now = totp.new_secret(), datetime(2026, 11, 23, 10, 0, 15, tzinfo=UTC)
    step = totp.step_at(now)
    code = totp.code_at(secret, now)
    assert totp.check(secret, None, code, now) == ("accepted", step)
    assert totp.check(secret, None, f"{code[:3]} {code[3:]}", now) == ("accepted", step)
    assert totp.check(secret, step, code, now) == ("replayed", None)
    assert totp.check(secret, step - 1, code, now) == ("accepted", step)
    assert totp.check(secret, None, totp.code_at(secret, now, -2), now) == ("wrong", None)
    assert totp.check(secret, None, "12345", now)[0] == "wrong"
    assert totp.check(secret, None, "١٢٣٤٥٦", now)[0] == "wrong"  # digits, not ASCII ones
    assert totp.check(None, None, code, now) == ("no_secret", None)
    assert totp.grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"
    uri = totp.provisioning_uri(secret, "agent.immat")
    assert uri.startswith("otpauth://totp/CSM%20services%20en%20ligne:agent.immat?")
    assert f"secret={secret}" in uri and "issuer=CSM%20services%20en%20ligne" in uri


# -- who may come --------------------------------------------------------------------------------


def test_a_member_session_finds_no_back_office(app: Flask, agent: Staff,
                                               client: FlaskClient,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    who = member(app)
    portal = Portal(client)
    assert portal.login(who.identifier, who.password).path == "/"
    csrf = portal.page.csrf_token() if portal.page else ""
    for path in ("/backoffice/", "/backoffice/login", "/backoffice/second-factor",
                 "/backoffice/second-factor/qr.svg"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert b"agent" not in r.data.lower()
    assert client.post("/backoffice/logout", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/backoffice/login", data={"csrf_token": csrf, "identifier":
                       agent.identifier, "password": agent.password}).status_code == 404
    assert portal.get("/").status == 200  # the member's own session is untouched
    denied = [e for e in events(caplog) if e["event"] == "access_denied"]
    assert denied and denied[0]["account_id"] == who.account_id


def test_a_members_credentials_get_the_wrong_password_answer(app: Flask, agent: Staff,
                                                             client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    refused = password_step(portal, who.identifier, who.password)
    wrong = password_step(Portal(browser(app)), agent.identifier, WRONG)
    assert (refused.status, refused.path) == (wrong.status, wrong.path) == \
        (400, "/backoffice/login")
    assert refused.errors() == wrong.errors() == [BAD_CREDENTIALS.text("en")]
    with client.session_transaction() as cookie_session:
        assert "staff_pending" not in cookie_session
    found = throttle(app, throttle_key(who.identifier))
    assert found is not None and found.failures == 1  # counted as a wrong password
    assert outcomes(app, who.account_id) == [("refused", "backoffice")]
    assert where(back_office(portal))[:2] == (303, "/backoffice/login")


def test_a_staff_portal_session_is_not_a_back_office_session(app: Flask, agent: Staff,
                                                             client: FlaskClient) -> None:
    """The portal still takes staff passwords for their account pages: that session (kind
    page, password only) does not open the back office, and a staff session not the portal."""
    portal = Portal(client)
    assert portal.login(agent.identifier, agent.password).path == "/"
    assert where(back_office(portal))[:2] == (303, "/backoffice/login")
    other = Portal(browser(app))
    sign_in(app, other, agent)
    assert where(other.client.get("/account"))[1] == "/login"
    with app.extensions["csm"].sessions() as s:
        kinds = sorted(t.kind for t in s.scalars(select(ApiToken).where(
            ApiToken.account_id == agent.account_id)))
    assert kinds == ["page", "staff"]


def test_next_stays_in_the_back_office(app: Flask, agent: Staff, client: FlaskClient) -> None:
    portal = Portal(client)
    page = password_step(portal, agent.identifier, agent.password,
                         "/backoffice/login?next=/backoffice/?tab=2")
    page = portal.submit(page, {"code": totp_code(app, agent)})
    assert page.url == "/backoffice/?tab=2"
    for target in ("https://evil.example/", "//evil.example/backoffice/", "/account"):
        other = Portal(browser(app))
        app.extensions["csm"].clock.advance(timedelta(seconds=totp.INTERVAL))
        page = password_step(other, agent.identifier, agent.password,
                             f"/backoffice/login?next={target}")
        assert other.submit(page, {"code": totp_code(app, agent)}).path == "/backoffice/"


# -- the session ends ----------------------------------------------------------------------------


def test_logout_revokes_the_staff_session(app: Flask, agent: Staff, client: FlaskClient,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    portal = Portal(client)
    page = sign_in(app, portal, agent)
    stolen = client.get_cookie("csm_session").value
    page = portal.submit(page, form="form[action='/backoffice/logout']")
    assert (page.status, page.path) == (200, "/backoffice/login")
    assert "You are logged out." in page.text
    thief = browser(app)
    thief.set_cookie("csm_session", stolen)
    assert where(thief.get("/backoffice/"))[:2] == (303, "/backoffice/login")
    client.set_cookie("csm_session", stolen)
    assert where(back_office(portal))[:2] == (303, "/backoffice/login")
    with app.extensions["csm"].sessions() as s:
        token = s.scalars(select(ApiToken).where(ApiToken.kind == "staff")).one()
    assert token.revoked_at is not None
    assert [e for e in events(caplog) if e["event"] == "logout"][0]["channel"] == "staff"


def test_logout_needs_a_post_with_the_csrf_token(app: Flask, agent: Staff,
                                                 client: FlaskClient) -> None:
    portal = Portal(client)
    sign_in(app, portal, agent)
    assert client.get("/backoffice/logout").status_code == 405
    assert client.post("/backoffice/logout").status_code == 400
    assert back_office(portal).status_code == 200


def test_an_idle_session_ends_after_fifteen_minutes(app: Flask, svc: Any, agent: Staff,
                                                    client: FlaskClient) -> None:
    assert svc.settings.staff_session_idle_minutes == 15
    portal = Portal(client)
    sign_in(app, portal, agent)
    for _ in range(3):  # active every 14 minutes: still in
        svc.clock.advance(timedelta(minutes=14))
        assert back_office(portal).status_code == 200
    svc.clock.advance(timedelta(minutes=15))
    assert where(back_office(portal))[:2] == (303, "/backoffice/login")
    page = portal.get("/backoffice/login")
    assert "Your back office session expired: please log in again." in page.text


def test_a_session_ends_after_its_absolute_lifetime(app: Flask, svc: Any, agent: Staff,
                                                    client: FlaskClient) -> None:
    portal = Portal(client)
    sign_in(app, portal, agent)
    for _ in range(svc.settings.token_ttl_hours * 6 - 1):  # active every 10 minutes
        svc.clock.advance(timedelta(minutes=10))
        assert back_office(portal).status_code == 200
    svc.clock.advance(timedelta(minutes=10, seconds=1))
    assert where(back_office(portal))[:2] == (303, "/backoffice/login")


def test_the_code_must_follow_the_password_within_five_minutes(app: Flask, svc: Any,
                                                              agent: Staff,
                                                              client: FlaskClient) -> None:
    portal = Portal(client)
    page = password_step(portal, agent.identifier, agent.password)
    svc.clock.advance(timedelta(minutes=5, seconds=1))
    page = portal.submit(page, {"code": totp_code(app, agent)})
    assert page.path == "/backoffice/login"
    assert "More than 5 minutes passed since your password" in page.text
    assert where(back_office(portal))[:2] == (303, "/backoffice/login")


def test_staff_idle_minutes_are_checked() -> None:
    for minutes in (0, 31):
        with pytest.raises(SettingsError, match="STAFF_SESSION_IDLE_MINUTES"):
            Settings(staff_session_idle_minutes=minutes).check()
    assert Settings.from_env({"STAFF_SESSION_IDLE_MINUTES": "10"}) \
        .staff_session_idle_minutes == 10


# -- throttling ----------------------------------------------------------------------------------


def test_wrong_codes_are_throttled_then_locked_per_account(app: Flask, svc: Any, agent: Staff,
                                                           client: FlaskClient,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    settings, key = svc.settings, code_throttle_key(account(app, agent.account_id))
    portal = Portal(client)
    page = password_step(portal, agent.identifier, agent.password)
    for _ in range(settings.login_delay_after):
        page = portal.submit(page, {"code": wrong_code(app, agent)})
    page = portal.submit(page, {"code": totp_code(app, agent)})  # too soon: not looked at
    assert page.status == 400
    assert page.errors() == ["Too many wrong codes: wait a few minutes, then try again."]
    found = throttle(app, key)
    assert found is not None and found.failures == settings.login_delay_after
    # a right password again does not reset the code counter
    page = password_step(portal, agent.identifier, agent.password)
    assert throttle(app, key) is not None
    pause = timedelta(seconds=settings.login_delay_max_seconds)
    for _ in range(settings.login_max_failures - settings.login_delay_after):
        svc.clock.advance(pause)
        page = password_step(portal, agent.identifier, agent.password)
        page = portal.submit(page, {"code": wrong_code(app, agent)})
    found = throttle(app, key)
    assert found is not None and found.locked_until is not None
    svc.clock.advance(pause)
    page = password_step(portal, agent.identifier, agent.password)
    assert portal.submit(page, {"code": totp_code(app, agent)}).status == 400  # locked
    assert throttle(app, throttle_key(agent.identifier)) is None  # the password is not locked
    names = [e["event"] for e in events(caplog)]
    assert "second_factor_throttled" in names and names[-1] == "second_factor_locked"
    assert [e for e in events(caplog) if e["event"] == "account_locked"][0]["factor"] == "code"
    svc.clock.advance(timedelta(minutes=settings.login_lock_minutes))
    page = password_step(portal, agent.identifier, agent.password)
    assert portal.submit(page, {"code": totp_code(app, agent)}).path == "/backoffice/"
    assert throttle(app, key) is None  # a success clears it


# -- enrolment and reset -------------------------------------------------------------------------


def test_a_first_login_enrols_the_authenticator(app: Flask, svc: Any,
                                                client: FlaskClient) -> None:
    newcomer = staff(app, enrolled=False)
    portal = Portal(client)
    page = password_step(portal, newcomer.identifier, newcomer.password)
    assert page.h1 == "Set up your authenticator app"
    key = page.soup.select_one("code.secret")
    assert key is not None
    secret = key.get_text().replace(" ", "")
    assert len(secret) == 32 and key.get_text().count(" ") == 7  # in groups of four
    link = page.attr("a[href^='otpauth://']", "href") or ""
    assert f"secret={secret}" in link and "agent" in link
    qr = client.get(page.attr(".enrolment__qr img", "src") or "")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert qr.data.startswith(b"<svg") and b"<script" not in qr.data
    assert password_step(Portal(browser(app)), newcomer.identifier, newcomer.password) \
        .soup.select_one("code.secret").get_text().replace(" ", "") != secret  # per login
    assert portal.get("/backoffice/second-factor").soup.select_one("code.secret") \
        .get_text().replace(" ", "") == secret  # the same until confirmed
    page = portal.submit(portal.page, {"code": totp_code(app, secret, -2)})
    assert page.status == 400 and account(app, newcomer.account_id).totp_secret is None
    page = portal.submit(page, {"code": totp_code(app, secret)})
    assert page.path == "/backoffice/"
    assert account(app, newcomer.account_id).totp_secret == secret
    assert client.get("/backoffice/second-factor/qr.svg").status_code == 404
    svc.clock.advance(timedelta(seconds=totp.INTERVAL))
    again = Portal(browser(app))  # the next login asks for a code, shows no key
    page = password_step(again, newcomer.identifier, newcomer.password)
    assert page.soup.select_one("code.secret") is None
    assert again.submit(page, {"code": totp_code(app, secret)}).path == "/backoffice/"


def test_the_api_never_enrols(app: Flask, client: FlaskClient) -> None:
    newcomer = staff(app, enrolled=False)
    r = api_token(client, newcomer.identifier, newcomer.password, code="123456")
    assert r.status_code == 401 and r.json["code"] == "invalid_credentials"


def test_reset_totp_forgets_the_authenticator_and_ends_sessions(app: Flask, agent: Staff,
                                                                client: FlaskClient) -> None:
    portal = Portal(client)
    sign_in(app, portal, agent)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "reset-totp", agent.identifier])
    assert result.exit_code == 0, result.output
    assert where(back_office(portal))[:2] == (303, "/backoffice/login")
    found = account(app, agent.account_id)
    assert (found.totp_secret, found.totp_last_step) == (None, None)
    page = password_step(portal, agent.identifier, agent.password)
    assert page.soup.select_one("code.secret") is not None  # enrols again
    unknown = runner.invoke(args=["staff", "reset-totp", "nobody.here"])
    assert unknown.exit_code == 1 and "no staff account" in unknown.output


def test_totp_code_prints_the_code_except_in_production(app: Flask, agent: Staff,
                                                        client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "totp-code", agent.identifier])
    assert result.exit_code == 0, result.output
    assert result.output.split()[0] == totp_code(app, agent)
    member_account = member(app)
    assert runner.invoke(args=["staff", "totp-code", member_account.identifier]).exit_code == 1
    svc = app.extensions["csm"]
    app.extensions["csm"] = replace(svc, settings=replace(svc.settings,
                                                          environment="production"))
    try:
        refused = runner.invoke(args=["staff", "totp-code", agent.identifier])
    finally:
        app.extensions["csm"] = svc
    assert refused.exit_code == 1 and "refused in production" in refused.output
    assert totp_code(app, agent) not in refused.output


# -- the API -------------------------------------------------------------------------------------


def test_a_staff_token_needs_the_code_and_says_nothing_of_the_password(
        app: Flask, agent: Staff, client: FlaskClient) -> None:
    wrong_password = api_token(client, agent.identifier, WRONG, code=totp_code(app, agent))
    no_code = api_token(client, agent.identifier, agent.password)
    bad_code = api_token(client, agent.identifier, agent.password, code=wrong_code(app, agent))
    for name, r in {"no code": no_code, "bad code": bad_code}.items():
        assert r.status_code == 401, name
        assert without_request_id(r.json) == without_request_id(wrong_password.json), name
    assert no_code.json["detail"] == BAD_CREDENTIALS.text("en")
    ok = api_token(client, agent.identifier, agent.password, code=totp_code(app, agent))
    assert ok.status_code == 200, ok.json
    api = Api(client, ok.json["token"])
    assert api.get("/api/v1/staff/submissions").status_code == 200
    replayed = api_token(client, agent.identifier, agent.password, code=totp_code(app, agent))
    assert replayed.status_code == 401
    assert api_token(client, agent.identifier, agent.password, code=7).status_code == 400
    # the API token is no back-office session, nor the reverse
    assert where(client.get("/backoffice/", headers={
        "Authorization": f"Bearer {ok.json['token']}"}))[1] == "/backoffice/login"


def test_members_still_log_in_to_the_api_without_a_code(app: Flask,
                                                        client: FlaskClient) -> None:
    who = member(app)
    assert api_token(client, who.identifier, who.password).status_code == 200
    assert api_token(client, who.identifier, who.password, code="").status_code == 200


def test_security_events_never_carry_secrets(app: Flask, agent: Staff, client: FlaskClient,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    portal = Portal(client)
    page = password_step(portal, agent.identifier, WRONG)
    page = password_step(portal, agent.identifier, agent.password)
    page = portal.submit(page, {"code": wrong_code(app, agent)})
    code = totp_code(app, agent)
    page = portal.submit(page, {"code": code})
    cookie = client.get_cookie("csm_session").value
    portal.submit(page, form="form[action='/backoffice/logout']")
    names = [e["event"] for e in events(caplog)]
    for expected in ("login_refused", "login_password_ok", "second_factor_refused",
                     "login_succeeded", "logout"):
        assert expected in names, (expected, names)
    assert all(e.get("channel") in ("backoffice", "staff") for e in events(caplog))
    logged = caplog.text
    for secret in (WRONG, agent.password, code, agent.totp_secret or "?", cookie):
        assert secret not in logged
