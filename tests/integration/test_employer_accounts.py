"""Employers and accounting firms (ref 004, "Connexion" and "Modification du profil"): they log
in with their subscriber number, their profile has a security question and the e-mail
validation, and the members' services stay closed to them. On SQLite, and on PostgreSQL when
TEST_DATABASE_URL is set."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, employer, member
from tests.integration.api_client import Api
from tests.integration.portal_client import Page, Portal
from tests.integration.test_account_pages import account, link_in, mails, services
from web.accounts.security_question import answer_matches
from web.db.models import Account, Base, Submission
from web.registry import RegistryError, import_registry

QUESTION = "Quel était le nom de votre première école ?"
ANSWER = "Sainte-Dévote du Port"


def signed_in(app, client, **kwargs) -> tuple[Portal, Any]:  # type: ignore[no-untyped-def]
    who = employer(app, **kwargs)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    return portal, who


def set_question(portal: Portal, question: str = QUESTION, answer: str = ANSWER,
                 current: str = PASSWORD) -> Page:
    page = portal.get("/account/security-question")
    return portal.submit(page, {"question": question, "answer": answer, "current": current})


def database_text(app) -> str:  # type: ignore[no-untyped-def]
    """Every row of every table, as text: what a copy of the database would show."""
    with services(app).sessions() as s:
        return repr([tuple(row) for table in Base.metadata.sorted_tables
                     for row in s.execute(table.select())])


# -- logging in ---------------------------------------------------------------------------------

def test_the_login_page_tells_employers_to_use_their_subscriber_number(client):
    hint = Portal(client).get("/login").soup.select_one("#identifier-hint").get_text()
    assert "matricule-jjmmaaaa" in hint and "numéro d’abonné" in hint


def test_an_employer_logs_in_with_its_subscriber_number(app, client):
    who = employer(app, name="Fiduciaire Azur Conseil")
    assert who.identifier.isdigit()
    portal = Portal(client)
    assert portal.login(who.identifier, "Mauvais1").status == 400  # the one generic answer
    home = portal.login(who.identifier, who.password)
    assert home.path == "/" and home.status == 200
    assert "Fiduciaire Azur Conseil" in home.soup.select_one(".site-header__user").get_text()
    assert home.h1 == "Synthèse de mes clients"  # the employer's home (ref 004)
    notice = home.soup.select_one(".notice--info").get_text(" ")
    assert "pas encore de question de sécurité" in notice
    assert home.soup.select_one(".notice--info a[href='/account']") is not None
    assert not home.soup.select("form[action^='/procedures/']")  # no member procedure


def test_an_employer_logs_in_through_the_api_and_sees_no_member_procedure(app, client):
    who = employer(app)
    assert client.post("/api/v1/auth/token", json={
        "identifier": who.identifier, "password": "Mauvais1"}).status_code == 401
    api = Api(client).login(who.identifier, who.password)
    # its own procedure (the wage declaration, ref 004), never a member's
    assert [w["id"] for w in api.get("/api/v1/workflows").json["workflows"]] == \
        ["wage_declaration"]
    assert api.get("/api/v1/submissions").json["submissions"] == []
    r = api.post("/api/v1/workflows/resource_declaration/submissions")
    assert r.status_code == 404


def test_member_pages_and_data_stay_closed_to_an_employer(app, client):
    """(Every member route is walked in test_route_audiences.py; here the member's own draft.)"""
    who = member(app)
    draft = Api(app.test_client()).login(who.identifier, who.password).start()
    boss = employer(app)
    portal = Portal(client)
    portal.login(boss.identifier, boss.password)
    for path in (f"/submissions/{draft['id']}", f"/submissions/{uuid.uuid4()}",
                 "/submissions/x/steps/terms"):  # the procedure pages serve employers too:
        r = client.get(path)  # another's submission is not found
        assert r.status_code == 404, path
    r = client.post("/procedures/resource_declaration/start",
                    data={"csrf_token": portal.page.csrf_token(), "key": "k"})
    assert r.status_code in (302, 303) and r.headers["Location"] == "/"
    api = Api(app.test_client()).login(boss.identifier, boss.password)
    r = api.get(f"/api/v1/submissions/{draft['id']}")
    assert r.status_code == 404 and draft["id"] not in r.get_data(as_text=True)
    with services(app).sessions() as s:
        owners = set(s.scalars(select(Submission.owner_id)))
    assert owners == {who.account_id}  # the employer started nothing


def test_an_employer_without_a_confirmed_address_has_no_service(app, client):
    """Ref 004: "En l'absence d'une adresse électronique valide, vous ne pouvez accéder à aucun
    service." As for members: the home page says why, the API answers account_not_ready."""
    portal, who = signed_in(app, client, email=None, email_validated=False)
    home = portal.get("/")
    assert home.soup.select(".notice--warning") and not home.soup.select(".notice--info")
    api = Api(app.test_client()).login(who.identifier, who.password)
    r = api.get("/api/v1/workflows")
    assert r.status_code == 403 and r.json["code"] == "account_not_ready"


def test_an_employer_with_a_password_sent_by_post_must_first_choose_its_own(app, client):
    portal, _who = signed_in(app, client, must_change_password=True)
    for path in ("/", "/account", "/account/security-question"):
        assert portal.get(path).path == "/account/password", path


# -- the e-mail address, as for members ----------------------------------------------------------

def test_an_employer_validates_its_e_mail_address(app, client):
    portal, who = signed_in(app, client, email=None, email_validated=False)
    page = portal.submit(portal.get("/account/email"), {"email": "Paie@Boulangerie.example.MC"})
    assert page.path == "/account/email"
    sent = mails(app, "email_validation")
    assert [m.to_address for m in sent] == ["Paie@boulangerie.example.mc"]
    confirm = portal.get(link_in(sent[0]))
    assert confirm.status == 200 and confirm.headers["Referrer-Policy"] == "no-referrer"
    done = portal.submit(confirm, form="form.form")
    assert done.path == "/" and done.soup.select(".notice--info")  # the employer's home, open
    assert account(app, who.account_id).email_validated
    assert portal.get(link_in(sent[0])).status == 410  # used once


def test_a_forgotten_password_goes_to_the_validated_address(app):
    """Ref 004: "saisissez votre numéro d'abonné puis cliquez sur Mot de passe oublié. Un e-mail
    sera envoyé à l'adresse que vous avez validée dans votre profil abonné"."""
    who = employer(app, email="paie@rocher.example.mc")
    portal = Portal(app.test_client())
    portal.submit(portal.get("/password/forgotten"), {"identifier": who.identifier})
    assert [m.to_address for m in mails(app, "password_reset")] == ["paie@rocher.example.mc"]


# -- the security question ----------------------------------------------------------------------

def test_an_employer_sets_its_security_question(app, client):
    portal, who = signed_in(app, client)
    profile = portal.get("/account")
    assert "Numéro d’abonné" in profile.text and who.identifier in profile.text
    assert "Question de sécurité pas encore choisie" in profile.text
    page = portal.get("/account/security-question")
    assert page.attr("#answer", "autocomplete") == "off"
    assert page.attr("#current", "autocomplete") == "current-password"

    page = set_question(portal)

    assert page.path == "/account" and page.status == 200
    assert "Votre question de sécurité est enregistrée." in page.text
    assert QUESTION in page.text
    stored = account(app, who.account_id)
    assert stored.security_question == QUESTION
    assert stored.security_answer_hash is not None
    assert stored.security_answer_hash.startswith("$argon2id$")
    passwords = services(app).passwords
    assert answer_matches(passwords, stored.security_answer_hash, "  sainte-devote DU PORT")
    assert not answer_matches(passwords, stored.security_answer_hash, "Sainte-Dévote")
    dump = database_text(app).casefold()
    for form in (ANSWER, "sainte-dévote du port", "sainte-devote du port", "sainte-devotedu"):
        assert form.casefold() not in dump
    again = portal.get("/account/security-question")
    assert QUESTION in again.text and again.attr("#question", "value") == QUESTION
    assert again.attr("#answer", "value") is None  # never shown back
    for seen in (page, again):
        assert "Dévote" not in seen.html and "devote" not in seen.html.casefold()


def test_changing_it_replaces_question_and_answer(app, client):
    portal, who = signed_in(app, client, security_question="Ville natale ?",
                            security_answer="Menton")
    assert "Modifier ma question de sécurité" in portal.get("/account").text
    set_question(portal, "Nom de mon premier chien ?", "Rex le brave")
    stored = account(app, who.account_id)
    passwords = services(app).passwords
    assert stored.security_question == "Nom de mon premier chien ?"
    assert answer_matches(passwords, stored.security_answer_hash, "rex le brave")
    assert not answer_matches(passwords, stored.security_answer_hash, "Menton")


def test_a_wrong_current_password_is_refused(app, client):
    portal, who = signed_in(app, client)
    page = set_question(portal, current="Mauvais1")
    assert page.status == 400 and page.path == "/account/security-question"
    assert "Votre mot de passe actuel n'est pas le bon." in page.errors()
    assert "Dévote" not in page.html  # the answer typed is not echoed either
    assert page.attr("#question", "value") == QUESTION  # the question is kept to try again
    stored = account(app, who.account_id)
    assert (stored.security_question, stored.security_answer_hash) == (None, None)


@pytest.mark.parametrize(("question", "answer", "said"), [
    (QUESTION, "a b", "réponse doit compter de 3 à 100 caractères"),
    (QUESTION, "x" * 101, "réponse doit compter de 3 à 100 caractères"),  # refused, never cut
    ("   ", ANSWER, "Choisissez une question."),
    ("q" * 201, ANSWER, "question doit tenir en 200 caractères"),
])
def test_a_question_or_answer_out_of_bounds_is_refused_with_its_reason(app, client, question,
                                                                       answer, said):
    portal, who = signed_in(app, client)
    page = set_question(portal, question, answer)
    assert page.status == 400
    assert any(said in error for error in page.errors()), page.errors()
    assert answer not in page.html
    stored = account(app, who.account_id)
    assert (stored.security_question, stored.security_answer_hash) == (None, None)


def test_members_and_staff_have_no_security_question(app, client):
    who = member(app)
    portal = Portal(client)
    portal.login(who.identifier, who.password)
    assert "sécurité" not in portal.get("/account").text
    assert portal.get("/account/security-question").path == "/account"
    r = portal.post("/account/security-question",
                    {"question": QUESTION, "answer": ANSWER, "current": who.password},
                    follow=False)
    assert r.status in (302, 303) and r.headers["Location"] == "/account"
    assert account(app, who.account_id).security_question is None


# -- the registry import ------------------------------------------------------------------------

EMPLOYERS: dict[str, Any] = {"accounts": [
    {"identifier": "300125", "kind": "employer", "display_name": "Boulangerie du Rocher",
     "password": "Fournil5", "email": "contact@rocher.example.mc", "email_validated": True,
     "must_change_password": False, "security_question": QUESTION, "security_answer": ANSWER},
    {"identifier": "0042", "kind": "employer", "display_name": "Fiduciaire Azur Conseil",
     "password": "Bilan7rz"},
]}


def run_import(app, data: Any) -> Any:  # type: ignore[no-untyped-def]
    svc = services(app)
    with svc.sessions.begin() as s:
        return import_registry(s, data, svc.passwords)


def test_the_import_creates_employers_then_leaves_them_unchanged(app, client):
    summary = run_import(app, EMPLOYERS)
    assert vars(summary.accounts) == {"created": 2, "updated": 0, "unchanged": 0}
    with services(app).sessions() as s:
        rows = {a.identifier: a for a in s.scalars(select(Account))}
        hashes = {i: (a.password_hash, a.security_answer_hash) for i, a in rows.items()}
    bakery, firm = rows["300125"], rows["0042"]  # leading zeros kept
    assert (bakery.kind, bakery.display_name, bakery.security_question) == (
        "employer", "Boulangerie du Rocher", QUESTION)
    assert answer_matches(services(app).passwords, bakery.security_answer_hash, "sainte-devote"
                          " du port")
    assert (firm.security_question, firm.security_answer_hash) == (None, None)
    assert (firm.email_validated, firm.must_change_password) == (False, True)  # safe defaults
    assert ANSWER.casefold() not in database_text(app).casefold()

    again = run_import(app, EMPLOYERS)
    assert vars(again.accounts) == {"created": 0, "updated": 0, "unchanged": 2}
    with services(app).sessions() as s:
        assert {a.identifier: (a.password_hash, a.security_answer_hash)
                for a in s.scalars(select(Account))} == hashes  # not even hashed again

    home = Portal(client).login("300125", "Fournil5")
    assert home.path == "/" and home.h1 == "Synthèse de mes clients"


def test_a_question_set_online_survives_a_re_import_without_one(app):
    run_import(app, EMPLOYERS)
    portal = Portal(app.test_client())
    portal.login("0042", "Bilan7rz")
    portal.submit(portal.get("/account/password"),
                  {"current": "Bilan7rz", "new": "Compta9x", "confirm": "Compta9x"})
    assert set_question(portal, current="Compta9x").path == "/account"
    firm = dict(EMPLOYERS["accounts"][1], password="Compta9x", must_change_password=False)
    summary = run_import(app, {"accounts": [firm]})
    assert vars(summary.accounts) == {"created": 0, "updated": 0, "unchanged": 1}
    with services(app).sessions() as s:
        row = s.scalars(select(Account).where(Account.identifier == "0042")).one()
    assert row.security_question == QUESTION  # the file says nothing of it: kept


BAD_EMPLOYERS: dict[str, Any] = {"accounts": [
    {"identifier": "B-300", "kind": "employer", "display_name": "Boulangerie",
     "password": "Fournil5"},
    {"identifier": "boulangerie", "kind": "employer", "display_name": "Boulangerie",
     "password": "Fournil5"},
    {"identifier": "300126", "kind": "employer", "password": "Fournil5",
     "roles": ["recouvrement"], "security_question": QUESTION},
    {"identifier": "300127", "kind": "employer", "display_name": "Chez Léa",
     "password": "Fournil5", "security_question": QUESTION, "security_answer": " a  b "},
    {"identifier": "300128", "kind": "staff", "password": "Imm4tric"},
    {"identifier": "agent.recouv", "kind": "staff", "password": "Imm4tric",
     "security_question": QUESTION, "security_answer": ANSWER},
    {"identifier": "300129", "kind": "boss", "display_name": "X", "password": "Fournil5"},
]}


def test_bad_employer_data_is_reported_with_its_pointer_and_nothing_is_written(app):
    with pytest.raises(RegistryError) as caught:
        run_import(app, BAD_EMPLOYERS)
    found = {(p.code, p.pointer) for p in caught.value.problems}
    assert found == {
        ("invalid_format", "/accounts/0/identifier"),       # neither staff nor subscriber
        ("employer_identifier", "/accounts/1/identifier"),  # a staff identifier
        ("missing_key", "/accounts/2"),                     # display_name
        ("employer_roles", "/accounts/2/roles"),
        ("security_question_pair", "/accounts/2/security_question"),
        ("security_answer_invalid", "/accounts/3/security_answer"),
        ("staff_identifier", "/accounts/4/identifier"),
        ("security_question_employer", "/accounts/5/security_question"),
        ("security_question_employer", "/accounts/5/security_answer"),
        ("invalid_value", "/accounts/6/kind"),
    }
    by_pointer = {p.pointer: p for p in caught.value.problems}
    assert "numéro d'abonné" in by_pointer["/accounts/0/identifier"].message.fr
    assert "subscriber number: 4 to 10 digits" in by_pointer["/accounts/1/identifier"].message.en
    assert "display_name" in by_pointer["/accounts/2"].message.en
    assert "security_answer" in by_pointer["/accounts/2/security_question"].message.en
    assert "employer" in by_pointer["/accounts/6/kind"].message.en
    with services(app).sessions() as s:
        assert s.scalars(select(Account)).all() == []
