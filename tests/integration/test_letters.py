"""Password letters for the post (issue 4): staff issue a member's initial password, a forgotten
password without a confirmed e-mail address is a letter queued for the post; printing makes a
new password that lives only in the PDF.

Every test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import io
import logging
import re
import stat
import unicodedata
from datetime import timedelta
from typing import Any

import pypdf
import pytest
from flask import Flask
from sqlalchemy import select

from tests.factories import fresh_code, member, staff
from tests.integration.api_client import Api
from web.accounts.letters import (
    ALPHABET,
    INITIAL_PASSWORD,
    LetterRefused,
    PrintRun,
    address_lines,
    generate_password,
    list_letters,
    print_pending,
    queue_initial_password,
    reprint,
)
from web.accounts.links import PASSWORD_RESET
from web.accounts.policy import PersonalData, policy
from web.accounts.service import personal_data, request_reset
from web.db.models import Account, ApiToken, Base, Household, Letter, Person

TOKEN_URL = "/api/v1/auth/token"
CODES_FR = re.compile(r"Identifiant\s+(\S+)\s+Mot de passe\s+(\S+)")
CODES_EN = re.compile(r"Identifier\s+(\S+)\s+Password\s+(\S+)")


def services(app: Flask) -> Any:
    return app.extensions["csm"]


def rules(app: Flask) -> Any:
    return policy(services(app).settings.password_policy)


def pages(pdf: bytes) -> list[str]:
    """The text of each page, NFC, one space for any run of whitespace."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(unicodedata.normalize("NFC", page.extract_text() or "").split())
            for page in reader.pages]


def codes(pdf: bytes, pattern: re.Pattern[str] = CODES_FR) -> list[tuple[str, str]]:
    """(identifier, password) read back from each page of the PDF."""
    found = []
    for text in pages(pdf):
        match = pattern.search(text)
        assert match, text
        found.append((match[1], match[2]))
    return found


def issue(app: Flask, identifier: str) -> str:
    svc = services(app)
    with svc.sessions.begin() as s:
        account = s.scalars(select(Account).where(Account.identifier == identifier)).one()
        return queue_initial_password(s, account, svc.clock.now()).id


def print_all(app: Flask, lang: str = "fr") -> PrintRun:
    svc = services(app)
    with svc.sessions.begin() as s:  # commits: the caller keeps the PDF
        return print_pending(s, svc.passwords, rules(app), svc.clock.now(), lang)


def login(app: Flask, identifier: str, password: str) -> Any:
    body = {"identifier": identifier, "password": password}
    code = fresh_code(app, identifier)  # staff also give their authenticator's code
    if code is not None:
        body["code"] = code
    return app.test_client().post(TOKEN_URL, json=body)


def account(app: Flask, account_id: str) -> Account:
    with services(app).sessions() as s:
        found = s.get(Account, account_id)
        assert found is not None
        return found


def stored_text(app: Flask) -> list[str]:
    """Every value of every column of every table, as text (JSON documents included)."""
    values = []
    with services(app).engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                values.extend(repr(value) for value in row)
    assert values
    return values


# -- issue, print, log in -----------------------------------------------------------------------

def test_the_printed_password_logs_in_and_ends_the_old_one(app):
    who = member(app)
    old_token = Api(app.test_client()).login(who.identifier, who.password).token
    client = app.test_client()
    headers = {"Authorization": f"Bearer {old_token}"}
    assert client.get("/api/v1/workflows", headers=headers).status_code == 200

    letter_id = issue(app, who.identifier)
    assert login(app, who.identifier, who.password).status_code == 200  # queued: not yet changed
    run = print_all(app)

    assert [printed.id for printed in run.letters] == [letter_id]
    assert run.letters[0].identifier == who.identifier
    assert run.pdf is not None and run.pdf.startswith(b"%PDF-")
    text = pages(run.pdf)
    assert len(text) == 1
    assert "Vos codes d’accès aux services en ligne" in text[0]
    [(identifier, password)] = codes(run.pdf)
    assert identifier == who.identifier
    assert password != who.password and set(password) <= set(ALPHABET)

    r = login(app, who.identifier, password)
    assert r.status_code == 200, r.json
    assert r.json["must_change_password"] is True
    assert login(app, who.identifier, who.password).status_code == 401
    assert client.get("/api/v1/workflows", headers=headers).status_code == 401
    with services(app).sessions() as s:
        token = s.scalars(select(ApiToken).where(ApiToken.account_id == who.account_id)
                          .order_by(ApiToken.created_at)).first()
        assert token is not None and token.revoked_at is not None
        assert s.get(Letter, letter_id).printed_at is not None  # type: ignore[union-attr]
        assert rules(app).check(password, personal_data(s, s.get(Account, who.account_id))) == []
    saved = account(app, who.account_id)
    assert saved.must_change_password is True
    assert saved.password_hash.startswith("$argon2id$")
    assert services(app).passwords.verify(saved.password_hash, password)


def test_the_password_is_nowhere_but_in_the_pdf(app, caplog):
    caplog.set_level(logging.DEBUG)
    who = member(app)
    issue(app, who.identifier)
    run = print_all(app)
    assert run.pdf is not None
    [(_, password)] = codes(run.pdf)
    assert login(app, who.identifier, password).status_code == 200  # login records, tokens...

    for value in stored_text(app):
        assert password not in value
    assert caplog.records  # the security events were captured
    assert password not in caplog.text
    for record in caplog.records:
        assert password not in record.getMessage()
    assert password not in repr(run)
    assert all(password not in repr(printed) for printed in run.letters)
    assert any("Dupont" in value for value in stored_text(app))  # the scan sees the data


def test_printing_twice_prints_nothing_the_second_time(app):
    who = member(app)
    issue(app, who.identifier)
    first = print_all(app)
    assert first.count == 1
    [(_, password)] = codes(first.pdf or b"")
    again = print_all(app)
    assert again.count == 0 and again.pdf is None
    assert login(app, who.identifier, password).status_code == 200  # still the one on paper


def test_issuing_twice_before_printing_queues_one_letter(app):
    who = member(app)
    assert issue(app, who.identifier) == issue(app, who.identifier)
    assert print_all(app).count == 1


def test_letters_are_printed_one_per_page_in_the_order_they_were_queued(app):
    svc = services(app)
    svc.clock.freeze()
    first, second = member(app), member(app)
    issue(app, second.identifier)
    svc.clock.advance(timedelta(minutes=5))
    issue(app, first.identifier)
    run = print_all(app)
    found = codes(run.pdf or b"")
    assert [identifier for identifier, _ in found] == [second.identifier, first.identifier]
    assert [printed.identifier for printed in run.letters] == [second.identifier,
                                                              first.identifier]
    assert found[0][1] != found[1][1]
    for identifier, password in found:
        assert login(app, identifier, password).status_code == 200


def test_reprint_gives_a_new_password_and_the_first_stops_working(app):
    who = member(app)
    letter_id = issue(app, who.identifier)
    [(_, first)] = codes(print_all(app).pdf or b"")
    token = Api(app.test_client()).login(who.identifier, first).token
    svc = services(app)
    svc.clock.freeze()
    later = svc.clock.advance(timedelta(hours=1))  # the old token still lives
    with svc.sessions.begin() as s:
        run = reprint(s, svc.passwords, rules(app), svc.clock.now(), letter_id)
    with svc.sessions() as s:
        assert s.get(Letter, letter_id).printed_at == later  # type: ignore[union-attr]
    assert [printed.id for printed in run.letters] == [letter_id]
    [(identifier, second)] = codes(run.pdf or b"")
    assert identifier == who.identifier and second != first
    assert login(app, who.identifier, first).status_code == 401
    assert login(app, who.identifier, second).status_code == 200
    assert app.test_client().get("/api/v1/workflows", headers={
        "Authorization": f"Bearer {token}"}).status_code == 401
    assert print_all(app).count == 0  # a reprint is not pending again


def test_reprint_refuses_an_unknown_letter(app):
    svc = services(app)
    with svc.sessions.begin() as s, pytest.raises(LetterRefused, match="no letter"):
        reprint(s, svc.passwords, rules(app), svc.clock.now(), "nope")


def test_a_forgotten_password_without_confirmed_email_is_printed_the_same_way(app):
    who = member(app, email_validated=False)
    svc = services(app)
    with svc.sessions.begin() as s:
        asked = request_reset(s, who.identifier, svc.clock.today(), svc.clock.now(),
                              "http://localhost/password/reset/")
    assert asked.channel == "post"
    assert login(app, who.identifier, who.password).status_code == 200  # not yet printed
    run = print_all(app)
    assert [printed.kind for printed in run.letters] == [PASSWORD_RESET]
    text = pages(run.pdf or b"")
    assert "Votre nouveau mot de passe" in text[0]
    assert "1 rue Grimaldi" in text[0] and "98000 MONACO" in text[0]
    [(identifier, password)] = codes(run.pdf or b"")
    assert identifier == who.identifier
    r = login(app, who.identifier, password)
    assert r.status_code == 200 and r.json["must_change_password"] is True
    assert login(app, who.identifier, who.password).status_code == 401


def test_two_letters_of_one_account_in_one_run_carry_the_same_password(app):
    who = member(app, email_validated=False)
    issue(app, who.identifier)
    svc = services(app)
    with svc.sessions.begin() as s:
        request_reset(s, who.identifier, svc.clock.today(), svc.clock.now(), "http://x/")
    run = print_all(app)
    assert sorted(printed.kind for printed in run.letters) == [INITIAL_PASSWORD,
                                                              PASSWORD_RESET]
    (_, one), (_, two) = codes(run.pdf or b"")
    assert one == two  # both pages hold the password that works
    assert login(app, who.identifier, one).status_code == 200


def test_accents_in_names_and_addresses_render_and_read_back(app):
    who = member(app)
    svc = services(app)
    with svc.sessions.begin() as s:
        household = s.get(Household, who.household_id)
        household.address = {"lines": ["Résidence Les Agaves", "Bâtiment « Œillet »",
                                       "3 rue Grimaldi"], "postcode": "06240",
                             "city": "Beausoleil", "country": "FR"}
        person = s.get(Person, account(app, who.account_id).person_id)
        person.first_name, person.last_name = "Zoé", "Lefèvre-Müller"
    issue(app, who.identifier)
    run = print_all(app)
    text = pages(run.pdf or b"")[0]
    for expected in ("Zoé Lefèvre-Müller", "Résidence Les Agaves", "Bâtiment « Œillet »",
                     "06240 BEAUSOLEIL", "FRANCE", "Monaco, le "):
        assert expected in text, expected


def test_an_english_letter(app):
    who = member(app)
    issue(app, who.identifier)
    run = print_all(app, lang="en")
    text = pages(run.pdf or b"")[0]
    assert "Your access codes for the online services" in text
    [(identifier, password)] = codes(run.pdf or b"", CODES_EN)
    assert identifier == who.identifier
    assert login(app, identifier, password).status_code == 200


def test_a_letter_without_postal_address_is_left_pending_and_changes_nothing(app):
    agent = staff(app)  # no person, so no household address
    svc = services(app)
    with svc.sessions.begin() as s:
        assert request_reset(s, agent.identifier, svc.clock.today(), svc.clock.now(),
                             "http://x/").channel == "post"
    run = print_all(app)
    assert run.count == 0 and run.pdf is None and len(run.skipped) == 1
    assert login(app, agent.identifier, agent.password).status_code == 200
    with svc.sessions() as s:
        assert [row.printed_at for row in list_letters(s)] == [None]
    with svc.sessions.begin() as s:
        agent_account = s.get(Account, agent.account_id)
        with pytest.raises(LetterRefused, match="no postal address"):
            queue_initial_password(s, agent_account, svc.clock.now())


# -- the password and the address ---------------------------------------------------------------

def test_generated_passwords_meet_the_policy_and_avoid_ambiguous_characters():
    personal = PersonalData(identifier="123456-03091985", registration="123456",
                            first_name="Marie", last_name="Rossi")
    for name in ("fund_2024", "recommended"):
        rules_ = policy(name)
        seen = {generate_password(rules_, personal) for _ in range(200)}
        assert len(seen) == 200  # random
        for password in seen:
            assert rules_.check(password, personal) == []
            assert rules_.min_length <= len(password) <= rules_.max_length
            assert not set(password) & set("O0oIl1")
            assert any(c.islower() for c in password) and any(c.isupper() for c in password)
            assert any(c.isdigit() for c in password)


def test_address_lines():
    assert address_lines({"lines": ["Résidence Les Agaves", "3 rue Grimaldi"],
                          "postcode": "98000", "city": "Monaco", "country": "MC"}) == (
        "Résidence Les Agaves", "3 rue Grimaldi", "98000 MONACO")
    assert address_lines({"lines": ["2 via Roma"], "postcode": "18039", "city": "Ventimiglia",
                          "country": "IT"})[-1] == "ITALIE"
    assert address_lines({}) == () and address_lines(None) == ()


# -- the commands -------------------------------------------------------------------------------

def test_issue_refuses_an_unknown_identifier(app):
    result = app.test_cli_runner().invoke(args=["letters", "issue", "999999-01011990"])
    assert result.exit_code == 1
    assert "no account with the identifier '999999-01011990'" in result.output
    with services(app).sessions() as s:
        assert list_letters(s) == []


def test_the_commands_issue_list_print_and_reprint(app, tmp_path):
    who = member(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["letters", "issue", who.identifier])
    assert result.exit_code == 0, result.output
    assert "queued" in result.output
    again = runner.invoke(args=["letters", "issue", who.identifier])
    assert again.exit_code == 0 and "already waiting" in again.output

    listed = runner.invoke(args=["letters", "list"])
    assert listed.exit_code == 0, listed.output
    [row] = [line for line in listed.output.splitlines() if who.identifier in line]
    assert INITIAL_PASSWORD in row and row.endswith("pending")

    out = tmp_path / "letters.pdf"
    printed = runner.invoke(args=["letters", "print", "--out", str(out)])
    assert printed.exit_code == 0, printed.output
    assert "1 letter printed to" in printed.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds passwords
    [(identifier, password)] = codes(out.read_bytes())
    assert identifier == who.identifier
    assert password not in printed.output and password not in listed.output
    assert login(app, who.identifier, password).status_code == 200

    listed = runner.invoke(args=["letters", "list"])
    [row] = [line for line in listed.output.splitlines() if who.identifier in line]
    assert not row.endswith("pending")
    assert "no letters" in runner.invoke(args=["letters", "list", "--pending"]).output

    nothing = runner.invoke(args=["letters", "print", "--out", str(tmp_path / "none.pdf")])
    assert nothing.exit_code == 0 and "nothing to print" in nothing.output
    assert not (tmp_path / "none.pdf").exists()

    letter_id = row.split()[0]
    refused = runner.invoke(args=["letters", "reprint", letter_id, "--out", str(out)])
    assert refused.exit_code == 1 and "exists" in refused.output  # never overwritten silently
    assert login(app, who.identifier, password).status_code == 200
    again = runner.invoke(args=["letters", "reprint", letter_id, "--out", str(out), "--force"])
    assert again.exit_code == 0, again.output
    [(_, second)] = codes(out.read_bytes())
    assert second != password
    assert login(app, who.identifier, password).status_code == 401
    assert login(app, who.identifier, second).status_code == 200


def test_print_keeps_the_old_passwords_when_the_file_cannot_be_written(app, tmp_path):
    who = member(app)
    issue(app, who.identifier)
    out = tmp_path / "missing-folder" / "letters.pdf"
    result = app.test_cli_runner().invoke(args=["letters", "print", "--out", str(out)])
    assert result.exit_code != 0
    assert isinstance(result.exception, FileNotFoundError)
    assert login(app, who.identifier, who.password).status_code == 200
    with services(app).sessions() as s:
        assert [row.printed_at for row in list_letters(s, pending_only=True)] == [None]
