"""Several subscriptions on one account (ref 002 "Profil abonné": "Si vous avez plusieurs
abonnements (ex : du fait de votre activité salariée et de votre statut de conjoint), vous
pouvez naviguer dans le domaine de « Mon profil » selon les matricules proposés dans la liste
déroulante ... la généralisation de cette option n'est pas automatique"): the switch in the
profile, mail options and insurer addresses per subscription, another account's subscription
refused, notifications by the subscription's options, the registry import and the migration.
On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from tests.factories import Member, member
from tests.integration.portal_client import Page, Portal
from web.accounts.mail_options import insurer_emails, mail_options
from web.accounts.subscriptions import subscriptions
from web.db.migrate import alembic_config, upgrade
from web.db.models import Account, MailOptions, Subscription
from web.db.session import make_engine
from web.notifications import channel_for
from web.passwords import Passwords
from web.registry import RegistryError, check_registry, import_registry

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
MAIL_FORM = "form.form[method=post]"
SWITCH_FORM = "form.subscription-switch"


def services(app):  # type: ignore[no-untyped-def]
    return app.extensions["csm"]


def with_spouse_subscription(app) -> tuple[Member, str, str]:  # type: ignore[no-untyped-def]
    """A member (employee) who also holds the subscription of their spouse: (member, id of the
    first subscription, id of the spouse's)."""
    who = member(app, spouse=True, children=1)
    n = who.household_id[1:]
    with services(app).sessions.begin() as s:
        own = Subscription(account_id=who.account_id, person_id=f"P{n}")
        spouse = Subscription(account_id=who.account_id, person_id=f"P{n}s", label="Conjoint")
        s.add_all([own, spouse])
        s.flush()
        return who, own.id, spouse.id


def signed_in(app, client, who: Member) -> Portal:  # type: ignore[no-untyped-def]
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    return portal


def channels(app, account_id: str) -> dict[str | None, str]:  # type: ignore[no-untyped-def]
    with services(app).sessions() as s:
        return {row.subscription_id: row.channel for row in s.scalars(
            select(MailOptions).where(MailOptions.account_id == account_id))}


def choose(portal: Portal, path: str, channel: str, **fields: Any) -> Page:
    return portal.submit(portal.get(path), {"channel": channel, **fields}, button="save",
                         form=MAIL_FORM)


# -- the switch in the profile -------------------------------------------------------------------

def test_one_subscription_shows_no_switch(app, client):
    portal = signed_in(app, client, member(app))
    profile = portal.get("/account")
    assert profile.soup.select_one(SWITCH_FORM) is None
    assert profile.soup.select_one("a[href='/account/mail-options']") is not None
    page = portal.get("/account/mail-options")
    assert page.soup.select_one(SWITCH_FORM) is None
    assert page.soup.select_one("#subscription-notice") is None


def test_the_profile_lists_the_registration_numbers_and_switches(app, client):
    who, own, spouse = with_spouse_subscription(app)
    portal = signed_in(app, client, who)
    profile = portal.get("/account")
    switch = profile.soup.select_one(SWITCH_FORM)
    assert switch is not None and switch.get("method") == "get"
    assert not profile.soup.select("script")  # no script: a form and its "Show" button
    options = [(o["value"], o.get_text(" ", strip=True), o.has_attr("selected"))
               for o in switch.select("option")]
    n = who.household_id[1:]
    assert options == [(own, f"{100000 + int(n)} — Alain Dupont{n}", True),
                       (spouse, f"{200000 + int(n)} — Claire Dupont{n} (Conjoint)", False)]

    shown = portal.submit(profile, {"subscription": spouse}, button="Afficher", form=SWITCH_FORM)
    assert shown.status == 200
    assert shown.url.endswith(f"/account?subscription={spouse}")
    assert shown.soup.select_one("#subscription-shown").get_text(strip=True).startswith(
        f"{200000 + int(n)}")
    assert shown.soup.select_one("option[selected]")["value"] == spouse
    assert shown.soup.select_one(
        f"a[href='/account/mail-options?subscription={spouse}']") is not None


def test_e_mail_on_one_subscription_leaves_the_other_on_post(app, client):
    who, own, spouse = with_spouse_subscription(app)
    portal = signed_in(app, client, who)
    path = f"/account/mail-options?subscription={spouse}"
    page = portal.get(path)
    notice = page.soup.select_one("#subscription-notice").get_text(" ", strip=True)
    assert "la généralisation de cette option n'est pas automatique" in notice
    saved = choose(portal, path, "email")
    assert saved.status == 200 and saved.url.endswith(path)  # back on the same subscription
    assert channels(app, who.account_id) == {spouse: "email"}
    assert saved.attr("#channel-email", "checked") is not None
    first = portal.get("/account/mail-options")  # the first subscription: still post
    assert first.attr("#channel-post", "checked") is not None
    assert first.soup.select_one("option[selected]")["value"] == own
    # the insurer's addresses of the spouse's subscription are its own
    fields = [str(i["name"]) for i in saved.soup.select("input[name^=insurer-]")]
    assert len(fields) == 3  # the spouse's household: member, spouse, child
    done = portal.submit(saved, {fields[0]: "mutuelle@example.mc", "accept_terms": "yes"},
                         button="save", form=MAIL_FORM)
    assert done.status == 200
    with services(app).sessions() as s:
        account = s.get(Account, who.account_id)
        held = subscriptions(s, account)
        assert [h.id for h in held] == [own, spouse]
        assert insurer_emails(s, account, held[1]) == {
            fields[0].removeprefix("insurer-"): "mutuelle@example.mc"}
        assert insurer_emails(s, account) == {}
        assert mail_options(s, account).channel == "post"
    # and choosing e-mail on the first does not touch the second's addresses
    choose(portal, "/account/mail-options", "email")
    assert channels(app, who.account_id) == {spouse: "email", own: "email"}
    with services(app).sessions() as s:
        account = s.get(Account, who.account_id)
        assert insurer_emails(s, account, s.get(Subscription, spouse)) != {}


def test_back_to_post_is_refused_on_that_subscription_only(app, client):
    who, own, spouse = with_spouse_subscription(app)
    portal = signed_in(app, client, who)
    path = f"/account/mail-options?subscription={spouse}"
    choose(portal, path, "email")
    refused = choose(portal, path, "post")
    assert refused.status == 400
    assert channels(app, who.account_id) == {spouse: "email"}


@pytest.mark.parametrize("path", ["/account", "/account/mail-options"])
def test_a_subscription_of_another_account_is_not_found(app, client, path):
    other, _, others_spouse = with_spouse_subscription(app)
    who, _, _ = with_spouse_subscription(app)
    portal = signed_in(app, client, who)
    assert portal.get(f"{path}?subscription={others_spouse}").status == 404
    assert portal.get(f"{path}?subscription=no-such-id").status == 404
    page = portal.get("/account/mail-options")
    posted = client.post(f"/account/mail-options?subscription={others_spouse}",
                         data={"csrf_token": page.csrf_token(), "channel": "email",
                               "action": "save"})
    assert posted.status_code == 404
    assert channels(app, other.account_id) == {}
    assert channels(app, who.account_id) == {}


def test_an_employer_has_no_subscription_to_choose(app, client):
    from tests.factories import employer
    boss = employer(app)
    portal = Portal(client)
    portal.login(boss.identifier, boss.password)
    assert portal.get("/account").soup.select_one(SWITCH_FORM) is None
    assert portal.get("/account/mail-options?subscription=x").status == 404
    assert portal.get("/account/mail-options").status == 200


def test_notifications_follow_the_subscription_of_the_person_concerned(app, client):
    who, _, spouse = with_spouse_subscription(app)
    portal = signed_in(app, client, who)
    choose(portal, f"/account/mail-options?subscription={spouse}", "email")
    n = who.household_id[1:]
    with services(app).sessions() as s:
        account = s.get(Account, who.account_id)
        assert channel_for(s, account, f"P{n}s") == "email"
        assert channel_for(s, account) == "post"  # the first subscription
        assert channel_for(s, account, f"P{n}") == "post"
        assert channel_for(s, account, f"P{n}c0") == "post"  # no subscription: the first


# -- the registry import -------------------------------------------------------------------------

PEOPLE = {"households": [{"id": "H-1", "address": {"lines": ["1 rue Grimaldi"],
                                                   "postcode": "98000", "city": "Monaco"}}],
          "persons": [{"id": "P-1", "registration": "002490", "birth_date": "1960-05-12",
                       "first_name": "Alain", "last_name": "Dupont", "household": "H-1"},
                      {"id": "P-2", "registration": "002491", "birth_date": "1962-08-23",
                       "first_name": "Claire", "last_name": "Dupont", "household": "H-1",
                       "role": "spouse"}]}


def run_import(app, data: dict[str, Any]) -> Any:  # type: ignore[no-untyped-def]
    with services(app).sessions.begin() as s:
        return import_registry(s, data, Passwords("cheapest"))


def held_persons(app, identifier: str) -> list[str]:  # type: ignore[no-untyped-def]
    with services(app).sessions() as s:
        account = s.scalars(select(Account).where(Account.identifier == identifier)).one()
        return [h.person_id for h in subscriptions(s, account) if h.id is not None]


def test_the_registry_gives_an_account_its_subscriptions(app):
    plain = {**PEOPLE, "accounts": [{"person": "P-1", "password": "Moulins7"}]}
    assert run_import(app, plain).accounts.created == 1
    assert held_persons(app, "002490-12051960") == ["P-1"]  # its own, always the first
    assert run_import(app, plain).accounts.unchanged == 1
    both = {**PEOPLE, "accounts": [{"person": "P-1", "subscriptions": ["P-2"],
                                    "password": "Moulins7"}]}
    assert run_import(app, both).accounts.updated == 1
    assert held_persons(app, "002490-12051960") == ["P-1", "P-2"]
    assert run_import(app, both).accounts.unchanged == 1  # idempotent
    assert run_import(app, plain).accounts.unchanged == 1  # never removed by an import
    assert held_persons(app, "002490-12051960") == ["P-1", "P-2"]


def test_a_new_account_gets_its_subscriptions_at_once(app):
    run_import(app, {**PEOPLE, "accounts": [{"person": "P-1", "subscriptions": ["P-2"],
                                             "password": "Moulins7"}]})
    assert held_persons(app, "002490-12051960") == ["P-1", "P-2"]


def test_bad_subscriptions_are_refused_with_their_pointer(app):
    data = {**PEOPLE, "accounts": [
        {"person": "P-1", "subscriptions": ["P-1", "P-9"], "password": "Moulins7"},
        {"identifier": "300125", "kind": "employer", "display_name": "Boulangerie",
         "subscriptions": ["P-2"], "password": "Fournil5"},
        {"person": "P-2", "subscriptions": ["P-1", "P-1"], "password": "Condam1n"}]}
    problems = {(p.code, p.pointer) for p in check_registry(data)}
    assert {("subscription_own_person", "/accounts/0/subscriptions/0"),
            ("unknown_person", "/accounts/0/subscriptions/1"),
            ("subscriptions_member_only", "/accounts/1/subscriptions")} <= problems
    assert any(pointer == "/accounts/2/subscriptions" for _, pointer in problems)  # repeated
    with pytest.raises(RegistryError) as caught:
        run_import(app, data)
    messages = {p.code: p.message for p in caught.value.problems}
    assert "P-1" in messages["subscription_own_person"].fr
    with services(app).sessions() as s:
        assert s.scalars(select(Subscription)).all() == []


def test_a_subscription_may_name_a_person_already_in_the_database(app):
    run_import(app, PEOPLE)
    data = {"accounts": [{"person": "P-1", "subscriptions": ["P-2"], "password": "Moulins7"}]}
    with services(app).sessions() as s:
        assert check_registry(data, s) == []
    run_import(app, data)
    assert held_persons(app, "002490-12051960") == ["P-1", "P-2"]


# -- the migration -------------------------------------------------------------------------------

@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    yield made
    made.dispose()


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_0009_moves_the_mail_options_to_the_first_subscription_and_back(engine):
    upgrade(engine, "0008")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO households (id, address) VALUES ('H1', '{}')"))
        for pid, reg in (("P1", "100001"), ("P2", "100002")):
            connection.execute(text(
                "INSERT INTO persons (id, registration, birth_date, first_name, last_name,"
                " household_id, household_role, awaiting_documents) VALUES (:id, :reg,"
                " '1960-05-12', 'A', 'B', 'H1', 'declarant', false)"), {"id": pid, "reg": reg})
        for aid, ident, kind, person in (("A1", "100001-12051960", "member", "P1"),
                                         ("A2", "300125", "employer", None)):
            connection.execute(text(
                "INSERT INTO accounts (id, identifier, kind, person_id, display_name,"
                " password_hash, email_validated, must_change_password, roles) VALUES (:id,"
                " :ident, :kind, :person, '', 'x', true, false, '[]')"),
                {"id": aid, "ident": ident, "kind": kind, "person": person})
        connection.execute(text(
            "INSERT INTO mail_options (account_id, channel, insurer_terms_accepted_at) VALUES"
            " ('A1', 'email', :now), ('A2', 'email', NULL)"), {"now": NOW})
        connection.execute(text(
            "INSERT INTO insurer_emails (account_id, person_id, email) VALUES"
            " ('A1', 'P1', 'mutuelle@example.mc')"))

    upgrade(engine, "0009")
    [(first, person)] = rows(engine, "SELECT id, person_id FROM subscriptions"
                                     " WHERE account_id = 'A1'")
    assert person == "P1"
    assert rows(engine, "SELECT count(*) FROM subscriptions WHERE account_id = 'A2'") == [(0,)]
    assert sorted(rows(engine, "SELECT account_id, subscription_id, channel FROM mail_options"),
                  key=str) == [("A1", first, "email"), ("A2", None, "email")]
    assert rows(engine, "SELECT subscription_id, person_id, account_id, email"
                        " FROM insurer_emails") == [(first, "P1", "A1", "mutuelle@example.mc")]
    with engine.begin() as connection:  # a second subscription, with options of its own
        connection.execute(text(
            "INSERT INTO subscriptions (id, account_id, person_id) VALUES ('S2', 'A1', 'P2')"))
        connection.execute(text(
            "INSERT INTO mail_options (id, account_id, subscription_id, channel) VALUES"
            " ('M2', 'A1', 'S2', 'post')"))
        connection.execute(text(
            "INSERT INTO insurer_emails (subscription_id, person_id, account_id, email) VALUES"
            " ('S2', 'P2', 'A1', 'autre@example.mc')"))

    downgrade(engine, "0008")
    assert sorted(rows(engine, "SELECT account_id, channel FROM mail_options")) == [
        ("A1", "email"), ("A2", "email")]
    assert rows(engine, "SELECT account_id, person_id, email FROM insurer_emails") == [
        ("A1", "P1", "mutuelle@example.mc")]
    assert rows(engine, "SELECT insurer_terms_accepted_at IS NOT NULL FROM mail_options"
                        " WHERE account_id = 'A1'") == [(True,)]

    upgrade(engine, "0009")  # and up again
    assert len(rows(engine, "SELECT id FROM subscriptions")) == 1
    assert len(rows(engine, "SELECT id FROM mail_options WHERE subscription_id IS NOT NULL")) \
        == 1
