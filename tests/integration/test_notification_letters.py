"""Notification letters for the post (issue 5): staff move a member's declaration into a state the
workflow marks ``notify``; a member who receives post gets a ``notification`` letter, printed with
the password letters in one batch, through the functions and through ``flask letters``.

Every test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import pypdf
import pytest
from flask import Flask
from sqlalchemy import select

from tests.factories import Member, member, staff
from tests.integration.api_client import Api
from web.accounts.letters import (
    INITIAL_PASSWORD,
    NOTIFICATION_LETTER,
    LetterRefused,
    PrintRun,
    list_letters,
    print_pending,
    queue_initial_password,
    reprint,
)
from web.accounts.policy import policy
from web.db.models import Account, Household, Letter, Person
from web.tokens import issue

DECIDED_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PROCESSED_FR = "a été traitée par le Service Immatriculation."
PROCESSED_EN = "has been processed by the Registration Department."
HOSTILE = 'Joindre <b>l\'avis</b> <img src="https://example.org/pixel.png"> 2025.'


def services(app: Flask) -> Any:
    return app.extensions["csm"]


def rules(app: Flask) -> Any:
    return policy(services(app).settings.password_policy)


def pages(pdf: bytes | None) -> list[str]:
    """The text of each page, NFC, one space for any run of whitespace."""
    assert pdf is not None and pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(unicodedata.normalize("NFC", page.extract_text() or "").split())
            for page in reader.pages]


def token_for(app: Flask, account_id: str) -> str:
    svc = services(app)
    with svc.sessions.begin() as s:
        return issue(s, s.get(Account, account_id), svc.clock.now(), 8, kind="api").token


def submitted(app: Flask) -> tuple[Member, Api, str]:
    """A member (mail options untouched: post) whose resource declaration is submitted."""
    who = member(app)
    api = Api(app.test_client(), token_for(app, who.account_id))
    sid = api.start()["id"]
    api.post(f"/api/v1/submissions/{sid}/documents/cgu")
    api.answer(sid, "terms", {"accepted": True})
    api.answer(sid, "situation", {"code": "other_scheme"})
    assert api.act(sid, "submit").json["status"] == "submitted"
    return who, api, sid


def fire(app: Flask, sid: str, *transitions: tuple[str, str | None]) -> None:
    """Staff fire the transitions, through the API, each with its reason (or none)."""
    agent = Api(app.test_client(), token_for(app, staff(app).account_id))
    for name, comment in transitions:
        revision = agent.get(f"/api/v1/submissions/{sid}").json["revision"]
        body: dict[str, Any] = {"name": name, "revision": revision}
        if comment is not None:
            body["comment"] = comment
        r = agent.post(f"/api/v1/staff/submissions/{sid}/transitions", body)
        assert r.status_code == 200, r.json


def processed(app: Flask, comment: str | None = None) -> tuple[Member, Api, str, Letter]:
    """A declaration staff accepted: its member's notification letter is waiting."""
    services(app).clock.freeze(DECIDED_AT)
    who, api, sid = submitted(app)
    fire(app, sid, ("start_review", None), ("accept", comment))
    [letter] = waiting(app)
    return who, api, sid, letter


def waiting(app: Flask) -> list[Letter]:
    with services(app).sessions() as s:
        return list(s.scalars(select(Letter).where(Letter.kind == NOTIFICATION_LETTER,
                                                   Letter.printed_at.is_(None))))


def print_all(app: Flask, lang: str = "fr") -> PrintRun:
    svc = services(app)
    with svc.sessions.begin() as s:  # commits: the caller keeps the PDF
        return print_pending(s, svc.passwords, rules(app), svc.clock.now(), lang)


def name_of(app: Flask, who: Member) -> str:
    with services(app).sessions() as s:
        person = s.get(Person, s.get(Account, who.account_id).person_id)
        assert person is not None
        return f"{person.first_name} {person.last_name}"


def receipt(api: Api, sid: str) -> str:
    return str(api.get(f"/api/v1/submissions/{sid}").json["receipt"]["number"])


# -- printing through the functions -------------------------------------------------------------

def test_a_processed_declaration_is_printed_for_the_post_in_french(app):
    who, api, sid, letter = processed(app, "Dossier complet.")
    services(app).clock.advance(timedelta(hours=3))
    run = print_all(app)

    assert [(p.id, p.kind, p.identifier) for p in run.letters] == [
        (letter.id, NOTIFICATION_LETTER, who.identifier)]
    assert run.skipped == () and run.unaddressed == ()
    [text] = pages(run.pdf)
    number = receipt(api, sid)
    assert letter.content["fr"]["subject"] in text
    assert f"Déclaration de ressources {number} : déclaration traitée" in text
    assert f"Votre déclaration {number} {PROCESSED_FR}" in text
    assert "Bonjour, Votre déclaration" in text and "Dossier complet." in text
    for expected in (name_of(app, who), "1 rue Grimaldi", "98000 MONACO",
                     "Caisses Sociales de Monaco", "11 rue Louis Notari",
                     "Monaco, le 23 novembre 2026", letter.id):
        assert expected in text, expected
    assert "Mot de passe" not in text and PROCESSED_EN not in text

    with services(app).sessions() as s:
        assert s.get(Letter, letter.id).printed_at == DECIDED_AT + timedelta(hours=3)
    again = print_all(app)
    assert again.count == 0 and again.pdf is None
    # nothing secret was made: the member's password and token still work
    assert api.get(f"/api/v1/submissions/{sid}").status_code == 200
    Api(app.test_client()).login(who.identifier, who.password)


def test_an_english_letter_reads_the_english_text(app):
    who, api, sid, letter = processed(app)
    [text] = pages(print_all(app, lang="en").pdf)
    number = receipt(api, sid)
    assert f"{number}: declaration processed" in text
    assert f"Your declaration {number} {PROCESSED_EN}" in text
    assert name_of(app, who) in text and "98000 MONACO" in text
    assert "Monaco, 23 November 2026" in text
    assert PROCESSED_FR not in text


def test_a_reprint_reads_the_same_and_changes_nothing_else(app):
    who, api, sid, letter = processed(app, "Dossier complet.")
    svc = services(app)
    first = pages(print_all(app).pdf)
    later = svc.clock.advance(timedelta(days=2))
    with svc.sessions.begin() as s:
        run = reprint(s, svc.passwords, rules(app), svc.clock.now(), letter.id)
    assert [p.id for p in run.letters] == [letter.id]
    assert pages(run.pdf) == first  # same text, same date: the day of the decision
    with svc.sessions.begin() as s:
        english = pages(reprint(s, svc.passwords, rules(app), svc.clock.now(), letter.id,
                                "en").pdf)
    assert PROCESSED_EN in english[0]
    with svc.sessions() as s:
        assert s.get(Letter, letter.id).printed_at == later
    assert print_all(app).count == 0  # a reprint is not pending again
    Api(app.test_client()).login(who.identifier, who.password)  # no password was made


def test_one_batch_holds_every_kind_each_on_its_own_page(app):
    svc = services(app)
    who, api, sid, letter = processed(app)
    svc.clock.advance(timedelta(minutes=5))
    other = member(app)
    with svc.sessions.begin() as s:
        password_letter = queue_initial_password(
            s, s.get(Account, other.account_id), svc.clock.now()).id
    run = print_all(app)
    assert [(p.id, p.kind) for p in run.letters] == [(letter.id, NOTIFICATION_LETTER),
                                                     (password_letter, INITIAL_PASSWORD)]
    notice, codes = pages(run.pdf)
    assert PROCESSED_FR in notice and name_of(app, who) in notice
    assert "Mot de passe" not in notice and name_of(app, other) not in notice
    assert "Vos codes d’accès aux services en ligne" in codes and name_of(app, other) in codes
    assert PROCESSED_FR not in codes
    Api(app.test_client()).login(who.identifier, who.password)  # not touched
    r = app.test_client().post("/api/v1/auth/token", json={"identifier": other.identifier,
                                                           "password": other.password})
    assert r.status_code == 401  # the password letter's member has a new one


def test_html_in_the_reason_is_printed_as_text_and_nothing_is_fetched(app, monkeypatch):
    import web.pdf.receipt

    fetched: list[str] = []

    def record(url: str, *args: object, **kwargs: object) -> NoReturn:
        fetched.append(url)
        raise web.pdf.receipt.RemoteFetchRefusedError(url)

    monkeypatch.setattr(web.pdf.receipt, "refuse_url_fetch", record)
    services(app).clock.freeze(DECIDED_AT)
    _, _, sid = submitted(app)
    fire(app, sid, ("start_review", None), ("request_documents", HOSTILE))
    [letter] = waiting(app)
    assert HOSTILE in letter.content["fr"]["body"]
    [text] = pages(print_all(app).pdf)
    assert HOSTILE in text  # the tags are shown, not interpreted
    assert fetched == []
    web.pdf.receipt.html_to_pdf('<img src="https://example.org/pixel.png">')
    assert fetched == ["https://example.org/pixel.png"]  # the spy would have seen a fetch


def test_a_member_without_an_address_is_printed_with_a_mark_for_the_mail_room(app):
    who, _, _, letter = processed(app)
    with services(app).sessions.begin() as s:
        s.get(Household, who.household_id).address = {}
    run = print_all(app)
    assert run.unaddressed == (letter.id,) and run.skipped == ()
    [text] = pages(run.pdf)
    assert name_of(app, who) in text and "ADRESSE MANQUANTE" in text
    assert "1 rue Grimaldi" not in text and PROCESSED_FR in text
    assert waiting(app) == []  # printed: the mail room completes the envelope


def test_a_failed_print_loses_no_letter(app):
    _, _, _, letter = processed(app)
    svc = services(app)
    with pytest.raises(OSError), svc.sessions.begin() as s:
        run = print_pending(s, svc.passwords, rules(app), svc.clock.now())
        assert run.count == 1
        raise OSError("disk full")  # the caller could not write the PDF: it rolls back
    assert [w.id for w in waiting(app)] == [letter.id]
    assert print_all(app).count == 1


def test_reprint_refuses_a_letter_it_cannot_print(app):
    who = member(app)
    svc = services(app)
    with svc.sessions.begin() as s:
        s.add(Letter(id="odd", account_id=who.account_id, kind="mystery",
                     created_at=svc.clock.now(), content={}))
    with svc.sessions.begin() as s, pytest.raises(LetterRefused, match="cannot be printed"):
        reprint(s, svc.passwords, rules(app), svc.clock.now(), "odd")
    assert print_all(app).count == 0  # an unknown kind is never printed


# -- the commands -------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "expected"), [(None, PROCESSED_FR), ("en", PROCESSED_EN)])
def test_the_commands_print_list_and_reprint(app, tmp_path, lang, expected):
    who, api, sid, letter = processed(app)
    runner = app.test_cli_runner()
    language = ["--lang", lang] if lang else []

    listed = runner.invoke(args=["letters", "list", "--pending"])
    assert listed.exit_code == 0, listed.output
    [row] = [line for line in listed.output.splitlines() if who.identifier in line]
    assert row.split()[:3] == [letter.id, NOTIFICATION_LETTER, who.identifier]
    assert row.endswith("pending")

    out = tmp_path / "letters.pdf"
    printed = runner.invoke(args=["letters", "print", "--out", str(out), *language])
    assert printed.exit_code == 0, printed.output
    assert "1 letter printed to" in printed.output
    assert f"{letter.id}  {NOTIFICATION_LETTER}" in printed.output
    [text] = pages(out.read_bytes())
    assert expected in text and receipt(api, sid) in text
    assert name_of(app, who) in text and "1 rue Grimaldi" in text

    listed = runner.invoke(args=["letters", "list"])
    [row] = [line for line in listed.output.splitlines() if who.identifier in line]
    assert NOTIFICATION_LETTER in row and not row.endswith("pending")
    assert "no letters" in runner.invoke(args=["letters", "list", "--pending"]).output
    nothing = runner.invoke(args=["letters", "print", "--out", str(tmp_path / "none.pdf")])
    assert nothing.exit_code == 0 and "nothing to print" in nothing.output

    again = runner.invoke(args=["letters", "reprint", letter.id, "--out", str(out), "--force",
                                *language])
    assert again.exit_code == 0, again.output
    assert pages(out.read_bytes()) == [text]


def test_the_print_command_names_a_letter_without_address(app, tmp_path):
    who, _, _, letter = processed(app)
    with services(app).sessions.begin() as s:
        s.get(Household, who.household_id).address = None
    out = tmp_path / "letters.pdf"
    result = app.test_cli_runner().invoke(args=["letters", "print", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"letter {letter.id} printed without a postal address" in result.output
    assert "ADDRESS MISSING" in result.output
    assert "ADRESSE MANQUANTE" in pages(out.read_bytes())[0]


def test_the_print_command_keeps_the_letter_pending_when_the_file_cannot_be_written(
        app, tmp_path):
    _, _, _, letter = processed(app)
    out = tmp_path / "missing-folder" / "letters.pdf"
    result = app.test_cli_runner().invoke(args=["letters", "print", "--out", str(out)])
    assert result.exit_code != 0 and isinstance(result.exception, FileNotFoundError)
    with services(app).sessions() as s:
        assert [row.id for row in list_letters(s, pending_only=True)] == [letter.id]


def test_a_letter_without_the_language_asked_stops_the_run_and_loses_nothing(app, tmp_path):
    who = member(app)
    svc = services(app)
    with svc.sessions.begin() as s:
        s.add(Letter(id="english-only", account_id=who.account_id, kind=NOTIFICATION_LETTER,
                     created_at=svc.clock.now(),
                     content={"en": {"subject": "Declaration processed", "body": "Hello,\n"}}))
    out = tmp_path / "letters.pdf"
    result = app.test_cli_runner().invoke(args=["letters", "print", "--out", str(out)])
    assert result.exit_code == 1 and "letter english-only: no 'fr' text" in result.output
    assert not out.exists()
    with svc.sessions() as s:
        assert [row.id for row in list_letters(s, pending_only=True)] == ["english-only"]
    english = app.test_cli_runner().invoke(args=["letters", "print", "--out", str(out),
                                                 "--lang", "en"])
    assert english.exit_code == 0, english.output
    assert "Declaration processed" in pages(out.read_bytes())[0]
