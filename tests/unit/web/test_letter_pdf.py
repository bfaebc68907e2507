"""PDF postal letters alone (password and notification): pages, texts, escaping, dates, tags,
no fetching."""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from typing import NoReturn, cast

import pypdf
import pytest
from pypdf.generic import DictionaryObject

from web.pdf import PostalLetter, RemoteFetchRefusedError, render_letters_html, render_letters_pdf
from web.pdf.letter import NoticeLetter, format_letter_date

SCRIPT = "<script>alert(1)</script>"


def make_letter(lang: str = "fr", kind: str = "initial_password",
                **changes: object) -> PostalLetter:
    fields: dict[str, object] = {
        "lang": lang, "name": "Marie Rossi",
        "address": ("Résidence Les Agaves", "3 rue Grimaldi", "98000 MONACO"),
        "identifier": "123456-03091985", "password": "Kp7mXq4e", "kind": kind,
        "date": date(2026, 12, 1), "reference": "3f2a1c9e-0000-4000-8000-000000000001",
    }
    fields.update(changes)
    return PostalLetter(**fields)  # type: ignore[arg-type]


def texts(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(unicodedata.normalize("NFC", page.extract_text() or "").split())
            for page in reader.pages]


@pytest.fixture(scope="module")
def two_letters() -> bytes:
    return render_letters_pdf([
        make_letter(),
        make_letter(kind="password_reset", name="Paul Martin", identifier="654321-21011970",
                    password="Tz8wRb3n", address=("8 avenue Princesse Grace", "98000 MONACO")),
    ])


def test_two_letters_make_two_pages_each_with_its_own_codes(two_letters: bytes) -> None:
    first, second = texts(two_letters)
    assert "Marie Rossi" in first and "Paul Martin" not in first
    assert "Identifiant 123456-03091985 Mot de passe Kp7mXq4e" in first
    assert "Vos codes d’accès aux services en ligne" in first
    assert "Paul Martin" in second and "Marie Rossi" not in second
    assert "Identifiant 654321-21011970 Mot de passe Tz8wRb3n" in second
    assert "Votre nouveau mot de passe" in second
    assert "Si vous n’êtes pas à l’origine de cette demande" in second
    assert "Si vous n’êtes pas à l’origine de cette demande" not in first


def test_the_letter_says_where_who_when_and_what_to_do(two_letters: bytes) -> None:
    first = texts(two_letters)[0]
    for expected in (
        "Caisses Sociales de Monaco", "11 rue Louis Notari", "98013 Monaco Cedex",
        "Résidence Les Agaves", "3 rue Grimaldi", "98000 MONACO",
        "Monaco, le 1er décembre 2026", "3f2a1c9e-0000-4000-8000-000000000001",
        "caisses-sociales.mc", "choisir votre propre mot de passe",
        "enregistrer votre adresse électronique", "ne le communiquez à personne",
        "ne vous le demanderont jamais",
    ):
        assert expected in first, expected


def test_english_on_request() -> None:
    [text] = texts(render_letters_pdf([make_letter("en", date=date(2026, 11, 23))]))
    assert "Your access codes for the online services" in text
    assert "Identifier 123456-03091985 Password Kp7mXq4e" in text
    assert "Monaco, 23 November 2026" in text
    assert "will never ask you for it" in text


def test_a_long_address_stays_on_one_page() -> None:
    long = make_letter(name="Jean-Baptiste Château-Longuenom de la Tour d’Auvergne", address=(
        "Bâtiment B, escalier 4, appartement 1203", "Résidence Les Jardins d’Apolline",
        "12 avenue de la Costa", "Quartier de la Condamine", "06240 BEAUSOLEIL", "FRANCE"))
    [text] = texts(render_letters_pdf([long]))
    assert "FRANCE" in text and "Mot de passe Kp7mXq4e" in text


def test_tagged_pdf_with_language_and_a_title_without_the_password(two_letters: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(two_letters))
    catalog = reader.root_object
    assert str(catalog["/Lang"]) == "fr"
    mark_info = cast(DictionaryObject, catalog["/MarkInfo"].get_object())
    assert mark_info["/Marked"] and "/StructTreeRoot" in catalog
    assert reader.metadata is not None
    assert reader.metadata.title == "Courriers de mot de passe — Caisses Sociales de Monaco"
    assert "Kp7mXq4e" not in str(reader.metadata)


def test_values_are_escaped() -> None:
    letter = make_letter(name=SCRIPT)
    html = render_letters_html([letter])
    assert SCRIPT not in html and "&lt;script&gt;" in html
    assert SCRIPT in texts(render_letters_pdf([letter]))[0]


def test_the_password_is_not_in_the_repr() -> None:
    assert "Kp7mXq4e" not in repr(make_letter())


def test_bad_letters_are_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        make_letter("de")
    with pytest.raises(ValueError, match="kind"):
        make_letter(kind="receipt")
    with pytest.raises(ValueError, match="password"):
        make_letter(password="")
    with pytest.raises(TypeError):
        make_letter(address=["a list"])
    with pytest.raises(ValueError, match="no letter"):
        render_letters_pdf([])


@pytest.mark.parametrize(("day", "lang", "expected"), [
    (date(2026, 12, 1), "fr", "Monaco, le 1er décembre 2026"),
    (date(2026, 8, 15), "fr", "Monaco, le 15 août 2026"),
    (date(2026, 12, 1), "en", "Monaco, 1 December 2026"),
])
def test_dates(day: date, lang: str, expected: str) -> None:
    assert format_letter_date(day, lang) == expected


def test_weasyprint_goes_through_the_refusing_fetcher(monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    seen = {}
    original = weasyprint.HTML

    def spy(*args: object, **kwargs: object) -> NoReturn:
        seen.update(kwargs)
        fetcher = kwargs["url_fetcher"]
        with pytest.raises(RemoteFetchRefusedError):
            fetcher.fetch("https://example.org/x.png")  # type: ignore[attr-defined]
        raise RuntimeError("stop")

    monkeypatch.setattr(weasyprint, "HTML", spy)
    with pytest.raises(RuntimeError, match="stop"):
        render_letters_pdf([make_letter()])
    assert "url_fetcher" in seen
    assert original is not spy


# -- notification letters -----------------------------------------------------------------------

NOTICE_BODY = ("Bonjour,\n\nVotre déclaration RD-2026-000123 a été traitée par le Service "
               "Immatriculation.\n\n\n\nPremière ligne\nseconde ligne\n")
HOSTILE = '<b>gras</b> <img src="https://example.org/pixel.png"> <a href="https://x.org">x</a>'


def make_notice(lang: str = "fr", **changes: object) -> NoticeLetter:
    fields: dict[str, object] = {
        "lang": lang, "name": "Marie Rossi", "address": ("3 rue Grimaldi", "98000 MONACO"),
        "subject": "Déclaration de ressources RD-2026-000123 : déclaration traitée",
        "body": NOTICE_BODY, "date": date(2026, 11, 23),
        "reference": "3f2a1c9e-0000-4000-8000-000000000002",
    }
    fields.update(changes)
    return NoticeLetter(**fields)  # type: ignore[arg-type]


def from_top(pdf: bytes, page: int, needle: str = "") -> float:
    """How far below the top of the sheet, in mm, the first text holding ``needle`` is drawn
    (WeasyPrint draws in a flipped CSS-pixel space: the text matrix's ``f`` is from the top)."""
    found: list[float] = []

    def visit(text: str, cm: object, tm: list[float], *_: object) -> None:
        if text.strip() and needle in text:
            found.append(tm[5] * 25.4 / 96)

    pypdf.PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    assert found, needle
    return min(found)


def test_a_notification_is_the_subject_and_the_paragraphs_under_the_letterhead() -> None:
    html = render_letters_html([make_notice()])
    assert "<p>Bonjour,</p>" in html
    assert "<p>Première ligne<br>seconde ligne</p>" in html
    assert "<p></p>" not in html  # blank lines (an empty reason) make no empty paragraph
    [text] = texts(render_letters_pdf([make_notice()]))
    for expected in (
        "Caisses Sociales de Monaco", "11 rue Louis Notari", "98013 Monaco Cedex",
        "Marie Rossi", "3 rue Grimaldi", "98000 MONACO", "Monaco, le 23 novembre 2026",
        "3f2a1c9e-0000-4000-8000-000000000002",
        "Déclaration de ressources RD-2026-000123 : déclaration traitée",
        "Bonjour, Votre déclaration RD-2026-000123 a été traitée par le Service Immatriculation.",
    ):
        assert expected in text, expected
    assert "Mot de passe" not in text and "ADRESSE MANQUANTE" not in text


def test_a_notification_in_english() -> None:
    [text] = texts(render_letters_pdf([make_notice(
        "en", subject="Resource declaration RD-2026-000123: declaration processed",
        body="Hello,\n\nYour declaration has been processed.\n")]))
    assert "Resource declaration RD-2026-000123: declaration processed" in text
    assert "Hello, Your declaration has been processed." in text
    assert "Monaco, 23 November 2026" in text and "Letter reference" in text


def test_the_paragraphs_of_a_body() -> None:
    assert make_notice(body=" A\r\n\r\n\r\nB\n  C \n\n").paragraphs == (("A",), ("B", "C"))
    assert make_notice(body="").paragraphs == ()


@pytest.mark.parametrize("where", ["subject", "body"])
def test_html_in_a_notification_is_text_and_fetches_nothing(
        where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import web.pdf.receipt

    fetched: list[str] = []

    def record(url: str, *args: object, **kwargs: object) -> NoReturn:
        fetched.append(url)
        raise RemoteFetchRefusedError(url)

    monkeypatch.setattr(web.pdf.receipt, "refuse_url_fetch", record)
    letter = make_notice(**{where: HOSTILE})
    html = render_letters_html([letter])
    assert "<img" not in html and "<b>gras" not in html and "<a href" not in html
    assert "&lt;img src=&#34;https://example.org/pixel.png&#34;&gt;" in html
    [text] = texts(render_letters_pdf([letter]))
    assert "".join(HOSTILE.split()) in "".join(text.split())  # the title may wrap at a "/"
    assert fetched == []
    web.pdf.receipt.html_to_pdf('<img src="https://example.org/pixel.png">')
    assert fetched == ["https://example.org/pixel.png"]  # the spy does see a fetch


@pytest.mark.parametrize(("lang", "mark", "note"), [
    ("fr", "ADRESSE MANQUANTE", "Service courrier : compléter l’adresse avant l’envoi."),
    ("en", "ADDRESS MISSING", "Mail room: complete the address before posting."),
])
def test_an_empty_address_is_marked_for_the_mail_room(lang: str, mark: str, note: str) -> None:
    [text] = texts(render_letters_pdf([make_notice(lang, address=())]))
    assert f"Marie Rossi {mark} {note}" in text


def test_a_long_notification_flows_on_and_the_next_letter_starts_its_own_page() -> None:
    long_body = "\n\n".join(f"Paragraphe {n}. " + "Une phrase assez longue. " * 15
                            for n in range(1, 25))
    alone = render_letters_pdf([make_notice(name="Paul Martin")])
    batch = render_letters_pdf([make_notice(body=long_body), make_notice(name="Paul Martin"),
                                make_letter()])
    found = texts(batch)
    assert len(found) >= 4
    assert "Paragraphe 24." in found[-3] and "Paul Martin" not in found[-3]
    assert "Paul Martin" in found[-2] and "Marie Rossi" not in found[-2]
    assert "Mot de passe Kp7mXq4e" in found[-1]
    # the second letter's address sits in the envelope's window (50 mm from the top), as when
    # it is printed alone; a page that continues a letter keeps a top margin of 20 mm
    assert from_top(alone, 0, "Paul Martin") == pytest.approx(
        from_top(batch, len(found) - 2, "Paul Martin"))
    assert 50 < from_top(alone, 0, "Paul Martin") < 60
    assert 20 < from_top(batch, 1) < 30


def test_the_title_of_a_batch_says_what_it_holds() -> None:
    def title(letters: list[PostalLetter | NoticeLetter]) -> str | None:
        reader = pypdf.PdfReader(io.BytesIO(render_letters_pdf(letters)))
        assert reader.metadata is not None
        return reader.metadata.title

    assert title([make_notice()]) == "Courriers de notification — Caisses Sociales de Monaco"
    assert title([make_notice("en")]) == "Notification letters — Caisses Sociales de Monaco"
    assert title([make_notice(), make_letter()]) == "Courriers — Caisses Sociales de Monaco"


def test_bad_notifications_are_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        make_notice("de")
    with pytest.raises(ValueError, match="subject"):
        make_notice(subject="  ")
    with pytest.raises(TypeError):
        make_notice(address=["a list"])
