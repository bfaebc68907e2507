"""Mail options per subscription (refs 002 "Mes options de courrier", "Transmission des fiches de
décompte maladie à votre organisme complémentaire", 003 "Contact options"): post by default,
e-mail with a confirmed address, no way back to post but a letter, and the complementary
insurer's address per household member, saved only with the terms accepted. On SQLite, and on
PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.factories import employer, member
from tests.integration.portal_client import Page, Portal
from web.accounts.mail_options import (
    insured_members,
    mail_options,
    set_insurer_emails,
    set_mail_channel,
)
from web.accounts.service import AccountRefused
from web.db.models import Account, InsurerEmail, MailOptions

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def services(app):  # type: ignore[no-untyped-def]
    return app.extensions["csm"]


def signed_in(app, client, **kwargs):  # type: ignore[no-untyped-def]
    who = member(app, **kwargs)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    return portal, who


def choose(portal: Portal, channel: str) -> Page:
    return portal.submit(portal.get("/account/mail-options"), {"channel": channel},
                         button="save")


def stored(app, account_id: str) -> tuple[str | None, dict[str, str]]:  # type: ignore[no-untyped-def]
    with services(app).sessions() as s:
        # the account's only subscription (its first): one options row at most
        options = s.scalars(select(MailOptions).where(MailOptions.account_id == account_id)).first()
        rows = s.scalars(select(InsurerEmail).where(InsurerEmail.account_id == account_id))
        return (options.channel if options else None), {r.person_id: r.email for r in rows}


def insurer_fields(page: Page) -> dict[str, str]:
    return {str(i["name"]): str(i.get("value", ""))
            for i in page.soup.select("input[name^=insurer-]")}


# -- the channel ---------------------------------------------------------------------------------

def test_post_is_the_default_and_the_profile_links_to_the_page(app, client):
    portal, who = signed_in(app, client)
    profile = portal.get("/account")
    assert profile.soup.select_one("a[href='/account/mail-options']") is not None
    page = portal.get("/account/mail-options")
    assert page.status == 200
    assert page.attr("#channel-post", "checked") is not None
    assert page.attr("#channel-email", "checked") is None
    assert not insurer_fields(page)  # the insurer's addresses come with e-mail only
    assert stored(app, who.account_id) == (None, {})


def test_e_mail_is_refused_without_a_confirmed_address(app, client):
    portal, who = signed_in(app, client, email="a@example.mc", email_validated=False)
    page = choose(portal, "email")
    assert page.status == 400
    assert "confirmez-la" in " ".join(page.errors())
    assert stored(app, who.account_id) == (None, {})


def test_e_mail_is_accepted_with_a_confirmed_address(app, client):
    portal, who = signed_in(app, client)
    page = choose(portal, "email")
    assert page.status == 200 and page.path == "/account/mail-options"
    assert page.attr("#channel-email", "checked") is not None
    assert stored(app, who.account_id) == ("email", {})


def test_back_to_post_is_refused_with_the_manuals_explanation(app, client):
    portal, who = signed_in(app, client)
    choose(portal, "email")
    page = choose(portal, "post")
    assert page.status == 400
    assert "adressez une lettre" in " ".join(page.errors())
    assert stored(app, who.account_id)[0] == "email"
    with services(app).sessions() as s:
        account = s.get(Account, who.account_id)
        with pytest.raises(AccountRefused) as refused:
            set_mail_channel(s, account, "post", NOW)
    assert refused.value.code == "back_to_post_by_letter"
    assert "send a letter requesting this" in refused.value.message.en  # ref 003


def test_an_employer_chooses_the_channel_only(app, client):
    who = employer(app)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    page = choose(portal, "email")
    assert page.status == 200 and not insurer_fields(page)
    assert stored(app, who.account_id) == ("email", {})


# -- the complementary insurer's addresses -------------------------------------------------------

def test_insurer_addresses_are_refused_while_the_channel_is_post(app, client):
    portal, who = signed_in(app, client, spouse=True)
    page = portal.get("/account/mail-options")
    forged = portal.post("/account/mail-options", {
        "channel": "post", "action": "save", "accept_terms": "yes",
        f"insurer-P{who.household_id[1:]}": "adherents@mutuelle.mc"})
    assert page.status == 200 and forged.status == 400
    assert "qu'avec l'option" in " ".join(forged.errors())
    assert stored(app, who.account_id) == (None, {})


def test_copy_for_all_fills_every_field_without_saving(app, client):
    portal, who = signed_in(app, client, spouse=True, children=2)
    page = choose(portal, "email")
    fields = insurer_fields(page)
    assert len(fields) == 4  # the member, the spouse, two children
    first = next(iter(fields))
    copied = portal.submit(page, {first: "adherents@mutuelle.mc"}, button="copy")
    assert copied.status == 200
    assert set(insurer_fields(copied).values()) == {"adherents@mutuelle.mc"}
    assert stored(app, who.account_id) == ("email", {})


def test_saving_without_the_terms_is_refused(app, client):
    portal, who = signed_in(app, client, spouse=True)
    page = choose(portal, "email")
    first = next(iter(insurer_fields(page)))
    refused = portal.submit(page, {first: "adherents@mutuelle.mc"}, button="save")
    assert refused.status == 400
    assert "conditions d'utilisation" in " ".join(refused.errors())
    assert insurer_fields(refused)[first] == "adherents@mutuelle.mc"  # kept for another try
    assert stored(app, who.account_id) == ("email", {})


def test_with_the_terms_each_person_has_their_insurer(app, client):
    portal, who = signed_in(app, client, spouse=True, children=1)
    page = choose(portal, "email")
    member_field, spouse_field, child_field = insurer_fields(page)
    saved = portal.submit(page, {member_field: "Adherents@Mutuelle.mc",
                                 spouse_field: "contact@assurance-azur.mc", child_field: "",
                                 "accept_terms": "yes"}, button="save")
    assert saved.status == 200
    assert stored(app, who.account_id) == ("email", {
        member_field.removeprefix("insurer-"): "Adherents@mutuelle.mc",
        spouse_field.removeprefix("insurer-"): "contact@assurance-azur.mc"})
    with services(app).sessions() as s:
        account = s.get(Account, who.account_id)
        assert mail_options(s, account).insurer_terms_accepted_at is not None
    # emptying a field stops the service for that person, no terms needed once all are empty
    again = portal.submit(saved, {member_field: "", spouse_field: "", "accept_terms": None},
                          button="save")
    assert again.status == 200 and stored(app, who.account_id) == ("email", {})


def test_an_invalid_address_is_refused_with_its_reason(app, client):
    portal, who = signed_in(app, client, spouse=True)
    page = choose(portal, "email")
    _, spouse_field = insurer_fields(page)
    refused = portal.submit(page, {spouse_field: "mutuelle.mc", "accept_terms": "yes"},
                            button="save")
    assert refused.status == 400
    errors = " ".join(refused.errors())
    assert "Claire" in errors and "pas valide" in errors
    assert stored(app, who.account_id) == ("email", {})


def test_a_person_of_another_household_cannot_be_targeted(app, client):
    other = member(app, spouse=True)
    portal, who = signed_in(app, client)
    page = choose(portal, "email")
    foreign = f"P{other.household_id[1:]}s"  # the other household's spouse
    saved = portal.submit(page, {f"insurer-{foreign}": "pirate@example.mc",
                                 "accept_terms": "yes"}, button="save")
    assert saved.status == 200  # the forged field is not read
    assert stored(app, who.account_id) == ("email", {})
    with services(app).sessions() as s:
        account = s.get(Account, who.account_id)
        assert [p.id for p in insured_members(s, account)] == [f"P{who.household_id[1:]}"]
        with pytest.raises(AccountRefused) as refused:
            set_insurer_emails(s, account, {foreign: "pirate@example.mc"}, True, NOW)
        assert refused.value.code == "unknown_person"
        s.rollback()
    with services(app).sessions() as s:
        assert s.scalars(select(InsurerEmail)).all() == []


def test_mail_options_default_is_not_saved_by_reading(app):
    who = member(app)
    with services(app).sessions() as s:
        account = s.get(Account, who.account_id)
        assert mail_options(s, account).channel == "post"
        s.commit()
    assert stored(app, who.account_id) == (None, {})
