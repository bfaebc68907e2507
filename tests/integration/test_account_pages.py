"""The member's account pages: password change (forced at first login), e-mail validation, the
forgotten password once a day, and the personal sections closed until the address is confirmed."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.factories import member
from tests.integration.portal_client import Page, Portal
from web.db.models import Account, AccountToken, ApiToken, Letter, OutboxMessage

NEW_PASSWORD = "Rivage9"  # noqa: S105 - 7 characters, fund profile


def services(app):  # type: ignore[no-untyped-def]
    return app.extensions["csm"]


def mails(app, kind: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with services(app).sessions() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id)))


def link_in(message: OutboxMessage) -> str:
    found = re.search(r"https?://[^\s]+", message.body_text)
    assert found, message.body_text
    return "/" + found.group(0).split("/", 3)[3]


def account(app, account_id: str) -> Account:  # type: ignore[no-untyped-def]
    with services(app).sessions() as s:
        found = s.get(Account, account_id)
        assert found is not None
        s.expunge(found)
        return found


def signed_in(app, client, **kwargs):  # type: ignore[no-untyped-def]
    who = member(app, **kwargs)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    return portal, who


def change(portal: Portal, current: str, new: str, confirm: str | None = None) -> Page:
    page = portal.get("/account/password")
    return portal.submit(page, {"current": current, "new": new,
                                "confirm": new if confirm is None else confirm})


# -- password change --------------------------------------------------------------------------

def test_a_wrong_current_password_is_refused(app, client):
    portal, who = signed_in(app, client)
    page = change(portal, "Mauvais1", NEW_PASSWORD)
    assert page.status == 400
    assert "mot de passe actuel" in page.text
    assert account(app, who.account_id).password_changed_at is None


def test_the_policy_says_which_rule_failed(app, client):
    portal, who = signed_in(app, client)
    page = change(portal, who.password, "azerty1")
    assert page.status == 400 and page.soup.select(".error-summary li"), page.text
    page = change(portal, who.password, "x" * 40)
    assert page.status == 400 and "40" in page.text  # too long: never cut
    page = change(portal, who.password, NEW_PASSWORD, "Rivage8")
    assert page.status == 400 and "pas identiques" in page.text
    assert page.soup.select_one("#new")["autocomplete"] == "new-password"
    assert NEW_PASSWORD not in page.html  # never echoed


def test_a_changed_password_ends_every_other_session(app, client):
    portal, who = signed_in(app, client)
    other = app.test_client()
    api_token = other.post("/api/v1/auth/token", json={
        "identifier": who.identifier, "password": who.password}).json["token"]
    cookie_before = portal.cookie()
    page = change(portal, who.password, NEW_PASSWORD)
    assert page.path == "/" and page.status == 200  # this browser goes on, in a new session
    assert portal.cookie() != cookie_before
    r = other.get("/api/v1/submissions", headers={"Authorization": f"Bearer {api_token}"})
    assert r.status_code == 401
    assert app.test_client().post("/api/v1/auth/token", json={
        "identifier": who.identifier, "password": who.password}).status_code == 401
    assert app.test_client().post("/api/v1/auth/token", json={
        "identifier": who.identifier, "password": NEW_PASSWORD}).status_code == 200
    with services(app).sessions() as s:
        live = s.scalar(select(func.count()).select_from(ApiToken).where(
            ApiToken.account_id == who.account_id, ApiToken.revoked_at.is_(None)))
    assert live == 2  # this browser's new session and the new API login


def test_first_login_forces_a_new_password_then_an_e_mail(app, client):
    portal, who = signed_in(app, client, must_change_password=True, email=None,
                            email_validated=False)
    for path in ("/", "/submissions/x", "/account/email"):
        page = portal.get(path)
        assert page.path == "/account/password", path
    page = change(portal, who.password, NEW_PASSWORD)
    assert page.path == "/account/email"
    assert not account(app, who.account_id).must_change_password


# -- e-mail address ---------------------------------------------------------------------------

def test_personal_sections_stay_closed_until_the_address_is_confirmed(app, client):
    portal, who = signed_in(app, client, email=None, email_validated=False)
    home = portal.get("/")
    assert home.status == 200 and home.soup.select(".notice--warning"), home.text
    assert not home.soup.select("form[action^='/procedures/']")
    page = portal.get("/account/email")
    page = portal.submit(page, {"email": "Alain.Dupont@Example.MC"})
    assert page.path == "/account/email"
    sent = mails(app, "email_validation")
    assert [m.to_address for m in sent] == ["Alain.Dupont@example.mc"]
    assert not account(app, who.account_id).email_validated
    confirm = portal.get(link_in(sent[0]))
    assert confirm.status == 200 and confirm.headers["Referrer-Policy"] == "no-referrer"
    assert not account(app, who.account_id).email_validated  # opening the link is not enough
    done = portal.submit(confirm, form="form.form")
    assert done.path == "/"
    assert account(app, who.account_id).email_validated
    assert done.soup.select("form[action^='/procedures/']")
    again = portal.get(link_in(sent[0]))
    assert again.status == 410


def test_an_invalid_address_is_refused_with_its_reason(app, client):
    portal, _who = signed_in(app, client, email=None, email_validated=False)
    page = portal.submit(portal.get("/account/email"), {"email": "pas une adresse"})
    assert page.status == 400 and page.soup.select(".error-summary")
    assert mails(app, "email_validation") == []


def test_a_link_for_a_replaced_address_or_expired_no_longer_works(app, client):
    portal, who = signed_in(app, client, email=None, email_validated=False)
    portal.submit(portal.get("/account/email"), {"email": "un@example.mc"})
    portal.submit(portal.get("/account/email"), {"email": "deux@example.mc"})
    first, second = mails(app, "email_validation")
    assert portal.get(link_in(first)).status == 410  # a newer link retired it
    services(app).clock.advance(timedelta(hours=49))
    assert portal.get(link_in(second)).status == 410
    assert not account(app, who.account_id).email_validated


# -- forgotten password -----------------------------------------------------------------------

def forgot(app, identifier: str) -> Page:  # type: ignore[no-untyped-def]
    portal = Portal(app.test_client())
    return portal.submit(portal.get("/password/forgotten"), {"identifier": identifier})


def test_the_answer_is_the_same_whoever_asks(app):
    who = member(app)
    known, unknown = forgot(app, who.identifier), forgot(app, "999999-01011990")
    assert known.path == unknown.path == "/login"
    assert known.soup.select_one(".notice").text == unknown.soup.select_one(".notice").text


def test_one_request_a_day_then_a_link_used_once(app):
    who = member(app)
    forgot(app, who.identifier)
    forgot(app, who.identifier)
    sent = mails(app, "password_reset")
    assert len(sent) == 1  # the second request of the day sends nothing
    portal = Portal(app.test_client())
    page = portal.get(link_in(sent[0]))
    assert page.status == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    page = portal.submit(page, {"new": "azerty1", "confirm": "azerty1"})
    assert page.status == 400  # refused by the policy; the link stays usable
    page = portal.submit(page, {"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert page.path == "/login"
    assert Portal(app.test_client()).login(who.identifier, NEW_PASSWORD).path == "/"
    assert portal.get(link_in(sent[0])).status == 410  # used once
    services(app).clock.advance(timedelta(days=1))
    forgot(app, who.identifier)
    assert len(mails(app, "password_reset")) == 2  # a new day, a new request


def test_without_a_confirmed_address_a_letter_is_queued_for_the_post(app):
    who = member(app, email_validated=False)
    forgot(app, who.identifier)
    assert mails(app, "password_reset") == []
    with services(app).sessions() as s:
        letters = list(s.scalars(select(Letter).where(Letter.account_id == who.account_id)))
        tokens = s.scalar(select(func.count()).select_from(AccountToken))
    assert [letter.kind for letter in letters] == ["password_reset"]
    assert letters[0].content["identifier"] == who.identifier
    assert tokens == 0


def test_the_api_stays_closed_until_the_account_is_ready(app, client):
    for flags in ({"must_change_password": True}, {"email_validated": False}):
        who = member(app, **flags)
        r = client.post("/api/v1/auth/token", json={"identifier": who.identifier,
                                                     "password": who.password})
        assert r.status_code == 200
        assert r.json["must_change_password"] == flags.get("must_change_password", False)
        headers = {"Authorization": f"Bearer {r.json['token']}"}
        r = client.get("/api/v1/workflows", headers=headers)
        assert r.status_code == 403 and r.json["code"] == "account_not_ready", flags
        assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204


def test_a_changed_password_is_announced_to_the_confirmed_address(app, client):
    portal, who = signed_in(app, client)
    change(portal, who.password, NEW_PASSWORD)
    notices = mails(app, "password_changed")
    assert [m.to_address for m in notices] == [account(app, who.account_id).email]
    assert "modifié" in notices[0].body_text and NEW_PASSWORD not in notices[0].body_text
    quiet, first = signed_in(app, app.test_client(), must_change_password=True, email=None,
                             email_validated=False)
    assert change(quiet, first.password, "Falaise8").path == "/account/email"
    assert len(mails(app, "password_changed")) == 1  # no confirmed address: nobody to tell
