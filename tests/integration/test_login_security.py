"""Login throttling, session lifetimes, connection records, security log (issue 4, points 2, 3, 6;
SECURITY.md AUTH-04, AUTH-05, SESS-01, SESS-04, LOG-02).

Time is moved with the app's clock (``clock.freeze()`` then ``clock.advance(...)``), never by
sleeping. Every test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from tests.factories import member
from tests.integration.api_client import Api
from tests.integration.portal_client import Portal
from web import create_app
from web.db.models import Account, AccountToken, ApiToken, LoginRecord, LoginThrottle
from web.login import BAD_CREDENTIALS, LoginRefused, authenticate, throttle_key, wait_seconds
from web.passwords import Passwords
from web.portal.signin import SESSION_EXPIRED
from web.security_log import LOGGER, security_event
from web.settings import Settings
from web.tokens import digest, revoke_all

WRONG = "Pas-le-bon-93"
TOKEN_URL = "/api/v1/auth/token"


@pytest.fixture
def svc(app: Flask) -> Any:
    """The app's services, its clock stopped: only ``svc.clock.advance`` moves time."""
    services = app.extensions["csm"]
    services.clock.freeze()
    return services


@pytest.fixture
def security_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger=LOGGER)
    return caplog


def events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The security events logged so far, each parsed from its one JSON line."""
    found = []
    for record in caplog.records:
        if record.name == LOGGER:
            message = record.getMessage()
            assert "\n" not in message and "\r" not in message
            found.append(json.loads(message))
    return found


def api_login(client: FlaskClient, identifier: str, password: str) -> Any:
    return client.post(TOKEN_URL, json={"identifier": identifier, "password": password})


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "request_id"}


def throttle_of(app: Flask, identifier: str) -> LoginThrottle | None:
    with app.extensions["csm"].sessions() as s:
        return s.get(LoginThrottle, throttle_key(identifier))


def records(app: Flask) -> list[LoginRecord]:
    with app.extensions["csm"].sessions() as s:
        return list(s.scalars(select(LoginRecord).order_by(LoginRecord.id)))


def signed_in(portal: Portal) -> bool:
    page = portal.get("/", follow=False)
    assert page.status in (200, 302), page
    return page.status == 200


# -- throttling: delay, lock, one answer ---------------------------------------------------------


def test_wait_doubles_after_the_free_failures_and_is_capped() -> None:
    settings = Settings(login_delay_after=3, login_delay_max_seconds=60)
    assert [wait_seconds(n, settings) for n in range(12)] == \
        [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert wait_seconds(10_000, settings) == 60


def test_early_attempts_are_refused_even_with_the_right_password(app: Flask, svc: Any,
                                                                 client: FlaskClient,
                                                                 security_log: Any) -> None:
    who = member(app)
    assert svc.settings.login_delay_after == 3
    for _ in range(3):  # the first failures cost nothing but the failure
        assert api_login(client, who.identifier, WRONG).status_code == 401
    assert throttle_of(app, who.identifier).failures == 3
    svc.clock.advance(timedelta(milliseconds=900))  # 2^0 = 1 s not yet over
    early = api_login(client, who.identifier, who.password)
    assert early.status_code == 401 and early.json["code"] == "invalid_credentials"
    assert throttle_of(app, who.identifier).failures == 3  # refused, not counted
    svc.clock.advance(timedelta(milliseconds=100))  # 1 s after the last failure
    assert api_login(client, who.identifier, WRONG).status_code == 401
    assert throttle_of(app, who.identifier).failures == 4
    svc.clock.advance(timedelta(seconds=1.9))  # now 2 s are needed
    assert api_login(client, who.identifier, who.password).status_code == 401
    svc.clock.advance(timedelta(seconds=0.1))
    ok = api_login(client, who.identifier, who.password)
    assert ok.status_code == 200, ok.json
    assert throttle_of(app, who.identifier) is None  # a success clears the counter
    assert [r.outcome for r in records(app)] == ["refused"] * 3 + [
        "throttled", "refused", "throttled", "success"]
    names = [e["event"] for e in events(security_log)]
    assert names.count("login_throttled") == 2 and names[-1] == "login_succeeded"


def test_locked_unknown_wrong_and_throttled_get_one_answer(app: Flask, svc: Any,
                                                          client: FlaskClient,
                                                          security_log: Any) -> None:
    who = member(app)
    pause = timedelta(seconds=svc.settings.login_delay_max_seconds)
    wrong = api_login(client, who.identifier, WRONG)
    unknown = api_login(client, "999999-01011970", WRONG)
    for _ in range(svc.settings.login_delay_after - 1):
        api_login(client, who.identifier, WRONG)
    throttled = api_login(client, who.identifier, who.password)
    for _ in range(svc.settings.login_max_failures - svc.settings.login_delay_after):
        svc.clock.advance(pause)
        api_login(client, who.identifier, WRONG)
    assert throttle_of(app, who.identifier).locked_until is not None
    svc.clock.advance(pause)
    locked = api_login(client, who.identifier, who.password)
    answers = {"wrong": wrong, "unknown": unknown, "throttled": throttled, "locked": locked}
    for name, r in answers.items():
        assert r.status_code == 401, name
        assert "Retry-After" not in r.headers, name
        assert r.json["detail"] == BAD_CREDENTIALS.text("fr"), name
        assert without_request_id(r.json) == without_request_id(wrong.json), name
        assert r.headers["Content-Type"] == wrong.headers["Content-Type"]
    outcomes = [r.outcome for r in records(app)]
    assert outcomes[2] == "refused" and "throttled" in outcomes and outcomes[-1] == "locked"
    names = [e["event"] for e in events(security_log)]
    assert names.count("account_locked") == 1 and names[-1] == "login_locked"


def test_the_lock_holds_its_length_then_lifts(app: Flask, svc: Any,
                                              client: FlaskClient) -> None:
    who = member(app)
    pause = timedelta(seconds=svc.settings.login_delay_max_seconds)
    for _ in range(svc.settings.login_max_failures):
        api_login(client, who.identifier, WRONG)
        svc.clock.advance(pause)
    row = throttle_of(app, who.identifier)
    assert row is not None and row.locked_until is not None
    lock_ends = row.locked_until
    svc.clock.advance(lock_ends - svc.clock.now() - timedelta(seconds=1))
    assert api_login(client, who.identifier, who.password).status_code == 401
    svc.clock.advance(timedelta(seconds=1))
    assert api_login(client, who.identifier, who.password).status_code == 200
    assert svc.settings.login_lock_minutes == 60
    assert [r.outcome for r in records(app)][-2:] == ["locked", "success"]


def test_a_portal_lock_gets_the_wrong_password_page(app: Flask, svc: Any,
                                                     client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    wrong = portal.login(who.identifier, WRONG)
    for _ in range(svc.settings.login_max_failures - 1):
        svc.clock.advance(timedelta(seconds=svc.settings.login_delay_max_seconds))
        portal.login(who.identifier, WRONG)
    locked = portal.login(who.identifier, who.password)
    assert (locked.status, locked.path) == (wrong.status, wrong.path) == (400, "/login")
    assert locked.errors() == wrong.errors() == [BAD_CREDENTIALS.text("fr")]
    assert locked.soup.select_one("main").get_text() == wrong.soup.select_one("main").get_text()
    assert not signed_in(portal)
    assert [(r.outcome, r.channel) for r in records(app)][-1] == ("locked", "page")


def test_failures_long_past_are_forgotten(app: Flask, svc: Any, client: FlaskClient) -> None:
    who = member(app)
    pause = timedelta(seconds=svc.settings.login_delay_max_seconds)
    for _ in range(svc.settings.login_max_failures - 1):
        api_login(client, who.identifier, WRONG)
        svc.clock.advance(pause)
    svc.clock.advance(timedelta(minutes=svc.settings.login_lock_minutes))
    api_login(client, who.identifier, WRONG)  # would be the locking failure if remembered
    row = throttle_of(app, who.identifier)
    assert row is not None and row.locked_until is None and row.failures == 1
    assert api_login(client, who.identifier, who.password).status_code == 200


# -- page sessions: idle and absolute timeouts, last_seen_at -------------------------------------


def test_an_idle_page_session_ends_with_a_message(app: Flask, svc: Any, client: FlaskClient,
                                                  security_log: Any) -> None:
    who = member(app)
    idle = svc.settings.session_idle_minutes
    assert idle <= 30  # SECURITY.md SESS-04
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    stolen = client.get_cookie("csm_session").value
    svc.clock.advance(timedelta(minutes=idle - 1))
    assert signed_in(portal)
    svc.clock.advance(timedelta(minutes=idle - 1))  # still alive: it was used since
    assert signed_in(portal)
    svc.clock.advance(timedelta(minutes=idle))
    page = portal.get("/submissions/any-id", follow=False)
    assert page.status == 302 and urlsplit(page.headers["Location"]).path == "/login"
    page = portal.get(page.headers["Location"])
    assert (page.status, page.path) == (200, "/login")
    assert SESSION_EXPIRED.text("fr") in page.text
    assert not signed_in(portal)
    assert SESSION_EXPIRED.text("fr") not in portal.get("/login").text  # said once
    other = app.test_client()
    other.set_cookie("csm_session", stolen)  # the copied cookie is dead too
    assert not signed_in(Portal(other))
    expired = [e for e in events(security_log) if e["event"] == "session_expired"]
    assert expired[0]["reason"] == "idle" and expired[0]["account_id"] == who.account_id


def test_an_active_page_session_still_ends_after_its_absolute_lifetime(
        app: Flask, svc: Any, client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    for _ in range(svc.settings.token_ttl_hours * 6 - 1):  # a request every 10 minutes
        svc.clock.advance(timedelta(minutes=10))
        assert signed_in(portal)
    svc.clock.advance(timedelta(minutes=10, seconds=1))  # 12 h 00 min 01 s after login
    page = portal.get("/")
    assert page.path == "/login" and SESSION_EXPIRED.text("fr") in page.text
    assert svc.settings.token_ttl_hours == 12


def test_last_seen_is_written_at_most_once_a_minute(app: Flask, svc: Any,
                                                    client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    login_time = svc.clock.now()
    writes: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            writes.append(statement)

    def last_seen() -> Any:
        with svc.sessions() as s:
            return s.scalars(select(ApiToken.last_seen_at)
                             .where(ApiToken.kind == "page")).one()

    event.listen(svc.engine, "before_cursor_execute", spy)
    try:
        for _ in range(5):
            svc.clock.advance(timedelta(seconds=10))
            assert signed_in(portal)
        assert writes == [] and last_seen() == login_time
        svc.clock.advance(timedelta(seconds=10))  # a minute since login
        assert signed_in(portal)
        assert len(writes) == 1 and last_seen() == login_time + timedelta(minutes=1)
        svc.clock.advance(timedelta(seconds=30))
        assert signed_in(portal)
        assert len(writes) == 1
    finally:
        event.remove(svc.engine, "before_cursor_execute", spy)


def test_api_tokens_have_no_idle_end_but_expire(app: Flask, svc: Any,
                                                client: FlaskClient) -> None:
    who = member(app)
    api = Api(client).login(who.identifier, who.password)
    svc.clock.advance(timedelta(minutes=svc.settings.session_idle_minutes + 1))
    assert api.get("/api/v1/submissions").status_code == 200
    svc.clock.advance(timedelta(hours=svc.settings.token_ttl_hours))
    assert api.get("/api/v1/submissions").status_code == 401


def test_a_page_session_is_no_bearer_token_and_the_reverse(app: Flask,
                                                          client: FlaskClient) -> None:
    who = member(app)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    with client.session_transaction() as cookie_session:
        page_token = cookie_session["token"]
    assert client.get("/api/v1/submissions",
                      headers={"Authorization": f"Bearer {page_token}"}).status_code == 401
    api = Api(app.test_client()).login(who.identifier, who.password)
    assert api.get("/api/v1/submissions").status_code == 200
    other = app.test_client()
    Portal(other).get("/login")
    with other.session_transaction() as cookie_session:
        cookie_session["token"] = api.token
    assert not signed_in(Portal(other))
    assert signed_in(portal)


# -- revoking everything (password change) -------------------------------------------------------


def test_revoke_all_ends_every_session_and_token_but_the_one_kept(app: Flask, svc: Any,
                                                                  client: FlaskClient,
                                                                  security_log: Any) -> None:
    who = member(app)
    other = member(app)
    kept = Api(app.test_client()).login(who.identifier, who.password)
    ended = Api(app.test_client()).login(who.identifier, who.password)
    theirs = Api(app.test_client()).login(other.identifier, other.password)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    with svc.sessions.begin() as s:
        account = s.get(Account, who.account_id)
        count = revoke_all(s, account, svc.clock.now(), except_digest=digest(kept.token))
    assert count == 2
    assert ended.get("/api/v1/submissions").status_code == 401
    assert not signed_in(portal)
    assert kept.get("/api/v1/submissions").status_code == 200
    assert theirs.get("/api/v1/submissions").status_code == 200  # another account: untouched
    revoked = [e for e in events(security_log) if e["event"] == "sessions_revoked"]
    assert revoked[-1]["revoked"] == 2 and revoked[-1]["account_id"] == who.account_id
    with svc.sessions.begin() as s:
        assert revoke_all(s, s.get(Account, who.account_id), svc.clock.now()) == 1
    assert kept.get("/api/v1/submissions").status_code == 401


# -- connection records and their purge ----------------------------------------------------------


def test_every_attempt_leaves_a_connection_record(app: Flask, svc: Any,
                                                  client: FlaskClient) -> None:
    who = member(app)
    Portal(client).login(who.identifier, who.password)
    api_login(client, who.identifier, WRONG)
    api_login(client, "999999-01011970", WRONG)
    with svc.sessions() as s, pytest.raises(LoginRefused):  # the views refuse it sooner
        authenticate(s, svc, "x" * 200, WRONG, channel="api")
    found = [(r.at, r.identifier, r.account_id, r.outcome, r.channel) for r in records(app)]
    now = svc.clock.now()
    assert found == [
        (now, who.identifier, who.account_id, "success", "page"),
        (now, who.identifier, who.account_id, "refused", "api"),
        (now, f"sha256:{throttle_key('999999-01011970')}", None, "refused", "api"),
        (now, f"sha256:{throttle_key('x' * 200)}", None, "refused", "api"),
    ]


def test_purge_deletes_old_records_and_dead_tokens_only(app: Flask, svc: Any) -> None:
    who = member(app)
    now = svc.clock.now()
    days = timedelta(days=1)
    keep = svc.settings.login_records_keep_days
    dead = svc.settings.dead_tokens_keep_days
    assert (keep, dead) == (730, 7)

    def token(name: str, **fields: Any) -> ApiToken:
        values = {"created_at": now - 30 * days, "expires_at": now + days, **fields}
        return ApiToken(digest=digest(name), account_id=who.account_id, **values)

    def link(name: str, **fields: Any) -> AccountToken:
        values = {"purpose": "password_reset", "created_at": now - 30 * days,
                  "expires_at": now + days, **fields}
        return AccountToken(digest=digest(name), account_id=who.account_id, **values)

    with svc.sessions.begin() as s:
        s.add_all([LoginRecord(at=now - (keep + 1) * days, identifier="a", outcome="success",
                               channel="api", account_id=who.account_id),
                   LoginRecord(at=now - (keep - 1) * days, identifier="b", outcome="refused",
                               channel="page")])
        s.add_all([token("expired long ago", expires_at=now - (dead + 1) * days),
                   token("revoked long ago", revoked_at=now - (dead + 1) * days),
                   token("expired lately", expires_at=now - (dead - 1) * days),
                   token("revoked lately", revoked_at=now - (dead - 1) * days),
                   token("live")])
        s.add_all([link("used long ago", used_at=now - (dead + 1) * days),
                   link("expired long ago", expires_at=now - (dead + 1) * days),
                   link("used lately", used_at=now - days), link("live link")])
        s.add_all([LoginThrottle(key="old", failures=2, last_failure_at=now - 2 * days),
                   LoginThrottle(key="locked", failures=0, last_failure_at=now - days / 24,
                                 locked_until=now + days / 48),
                   LoginThrottle(key="recent", failures=1, last_failure_at=now)])
    result = app.test_cli_runner().invoke(args=["security", "purge"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "login records older than 730 days: 1 deleted",
        "sessions and API tokens dead for over 7 days: 2 deleted",
        "e-mail links used or expired over 7 days ago: 2 deleted",
        "login counters with nothing left to count: 1 deleted",
    ]
    with svc.sessions() as s:
        assert s.scalars(select(LoginRecord.identifier)).all() == ["b"]
        assert set(s.scalars(select(ApiToken.digest))) == {
            digest(n) for n in ("expired lately", "revoked lately", "live")}
        assert set(s.scalars(select(AccountToken.digest))) == {
            digest(n) for n in ("used lately", "live link")}
        assert set(s.scalars(select(LoginThrottle.key))) == {"locked", "recent"}
    again = app.test_cli_runner().invoke(args=["security", "purge"])
    assert again.exit_code == 0 and "1 deleted" not in again.output


# -- the security log ----------------------------------------------------------------------------


def test_security_events_never_carry_a_secret(app: Flask, client: FlaskClient,
                                              security_log: Any) -> None:
    who = member(app)
    portal = Portal(client)
    portal.login(who.identifier, WRONG)
    portal.login(who.identifier, who.password)
    cookie = client.get_cookie("csm_session").value
    with client.session_transaction() as cookie_session:
        page_token = cookie_session["token"]
    portal.logout()
    api = Api(app.test_client()).login(who.identifier, who.password)
    assert app.test_client().delete(TOKEN_URL, headers=api.headers()).status_code == 204
    api_login(client, "999999-01011970", "Secret-Inconnu-1")
    secrets_seen = {"password": who.password, "wrong password": WRONG,
                    "unknown's password": "Secret-Inconnu-1", "page token": page_token,
                    "page token digest": digest(page_token), "API token": api.token,
                    "API token digest": digest(api.token), "cookie": cookie,
                    "identifier": who.identifier, "unknown identifier": "999999-01011970"}
    assert security_log.records
    for record in security_log.records:  # every logger, every attribute of every record
        dumped = f"{record.getMessage()} {record.__dict__!r}"
        for name, secret in secrets_seen.items():
            assert secret not in dumped, f"{name} in {record.name}: {dumped}"
    logged = events(security_log)
    assert [e["event"] for e in logged] == ["login_refused", "login_succeeded", "logout",
                                            "login_succeeded", "logout", "login_refused"]
    assert [e.get("channel") for e in logged] == ["page", "page", "page", "api", "api", "api"]
    assert all(e["account_id"] == who.account_id for e in logged[:5])
    assert logged[5]["identifier_hash"] == throttle_key("999999-01011970")
    assert all(e["request_id"] and e["at"].endswith("+00:00") for e in logged)


def test_an_identifier_cannot_forge_a_log_line(client: FlaskClient, security_log: Any) -> None:
    forged = 'x"}\n{"event":"login_succeeded","account_id":"admin'
    assert api_login(client, forged, WRONG).status_code == 401
    lines = [r.getMessage() for r in security_log.records if r.name == LOGGER]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert json.loads(lines[0])["event"] == "login_refused"


def test_a_secret_field_is_refused() -> None:
    for name in ("password", "token", "session_id", "cookie", "new_password"):
        with pytest.raises(ValueError):
            security_event("login_refused", **{name: "x"})


def test_settings_reach_the_throttle(settings: Settings) -> None:
    """A smaller limit from the settings (as the two-process test uses) is the one enforced."""
    app = create_app(replace(settings, login_max_failures=2, login_delay_after=5))
    try:
        app.extensions["csm"].clock.freeze()
        who = member(app)
        client = app.test_client()
        assert [api_login(client, who.identifier, WRONG).status_code for _ in range(2)] == \
            [401, 401]
        assert api_login(client, who.identifier, who.password).status_code == 401
        assert records(app)[-1].outcome == "locked"
    finally:
        app.extensions["csm"].engine.dispose()


def test_one_address_guessing_many_identifiers_is_held_back(settings: Settings) -> None:
    """AUTH-04's per-IP throttle: failures from one address on ever new identifiers (none
    reaching its own lock) stop that address, with the one generic answer, even for a right
    password; another address is not held back; the ceiling ends after the lock's length."""
    app = create_app(replace(settings, login_ip_max_failures=5))
    try:
        svc = app.extensions["csm"]
        svc.clock.freeze()
        who = member(app)
        client = app.test_client()
        for n in range(5):
            assert api_login(client, f"99999{n}-01011970", WRONG).status_code == 401
        held = api_login(client, who.identifier, who.password)
        assert held.status_code == 401 and held.json["code"] == "invalid_credentials"
        assert records(app)[-1].outcome == "throttled"
        elsewhere = app.test_client()
        elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.9"
        assert api_login(elsewhere, who.identifier, who.password).status_code == 200
        svc.clock.advance(timedelta(minutes=svc.settings.login_lock_minutes, seconds=1))
        assert api_login(client, who.identifier, who.password).status_code == 200
    finally:
        app.extensions["csm"].engine.dispose()


def test_failures_at_the_same_time_are_all_counted(settings: Settings) -> None:
    """Concurrent wrong passwords on one identifier: none is lost, none is taken for an early
    attempt (each reads the time once the counter is its own). PostgreSQL only: SQLite is
    for development, its counter is not locked while the password is checked."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("row locks need PostgreSQL")
    app = create_app(replace(settings, login_max_failures=100, login_delay_after=50))
    svc = app.extensions["csm"]
    try:
        who = member(app)
        with svc.sessions.begin() as s:  # a real argon2id hash: each check takes a while
            s.get(Account, who.account_id).password_hash = Passwords().hash(who.password)

        def attempt() -> str:
            with svc.sessions() as s:
                try:
                    authenticate(s, svc, who.identifier, WRONG, channel="api")
                except LoginRefused as refused:
                    return refused.reason
                return "success"

        assert attempt() == "refused"  # the counter row exists from now on
        with ThreadPoolExecutor(max_workers=4) as pool:
            reasons = [f.result() for f in [pool.submit(attempt) for _ in range(8)]]
        assert reasons == ["refused"] * 8
        assert throttle_of(app, who.identifier).failures == 9
    finally:
        svc.engine.dispose()
