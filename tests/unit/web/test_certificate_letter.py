"""The certificate page of the letters PDF alone: one page, texts in each language, escaping."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import replace
from datetime import date

import pypdf
import pytest

from web.pdf.letter import CertificateLetter, NoticeLetter, format_day, render_letters_pdf

CERTIFICATE = CertificateLetter(
    lang="fr", name="Alain Dupont", address=("1 rue Grimaldi", "98000 MONACO"),
    title="Attestation de droit aux prestations médicales",
    beneficiary="Claire <b>Dupont</b>", registration="200001", birth_date=date(1962, 1, 2),
    valid_from=date(2026, 11, 23), valid_to=date(2027, 2, 28), issued_on=date(2026, 12, 1),
    verification_code="K7QM-3PXD-9TRA", reference="letter-1")


def texts(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(unicodedata.normalize("NFC", page.extract_text() or "").split())
            for page in reader.pages]


def test_a_certificate_is_one_page_with_everything_it_attests():
    [text] = texts(render_letters_pdf([CERTIFICATE]))
    for expected in ("Monaco, le 1er décembre 2026", "Alain Dupont", "98000 MONACO",
                     "Attestation de droit aux prestations médicales",
                     "Claire <b>Dupont</b>",  # shown as text, never markup
                     "200001", "2 janvier 1962", "du 23 novembre 2026 au 28 février 2027",
                     "Délivrée le 1er décembre 2026", "K7QM-3PXD-9TRA",
                     "vérifiée auprès des Caisses Sociales de Monaco"):
        assert expected in text, expected


def test_in_english_and_without_an_address():
    letter = replace(CERTIFICATE, lang="en", address=(),
                     title="Certificate of entitlement to medical benefits")
    [text] = texts(render_letters_pdf([letter]))
    assert "from 23 November 2026 to 28 February 2027" in text
    assert "ADDRESS MISSING" in text and "can be checked with the Caisses Sociales" in text


def test_a_batch_of_certificates_and_notices_is_named_letters():
    notice = NoticeLetter(lang="fr", name="A B", address=("x",), subject="Objet", body="Corps",
                          date=date(2026, 12, 1))
    reader = pypdf.PdfReader(io.BytesIO(render_letters_pdf([CERTIFICATE, notice])))
    assert len(reader.pages) == 2 and str(reader.metadata.title).startswith("Courriers")
    alone = pypdf.PdfReader(io.BytesIO(render_letters_pdf([CERTIFICATE])))
    assert str(alone.metadata.title).startswith("Attestations")


def test_bad_values_are_refused():
    with pytest.raises(ValueError):
        replace(CERTIFICATE, lang="de")
    with pytest.raises(ValueError):
        replace(CERTIFICATE, verification_code="")
    assert format_day(date(2026, 3, 1), "fr") == "1er mars 2026"
    assert format_day(date(2026, 3, 1), "en") == "1 March 2026"
