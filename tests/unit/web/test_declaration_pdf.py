"""The PDF of a wage declaration (web.pdf.declaration), read back with pypdf."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import replace
from typing import cast

import pypdf
import pytest
from pypdf.generic import DictionaryObject

from web.pdf.declaration import (
    Correction,
    Declaration,
    DeclarationLine,
    EventLine,
    render_declaration_pdf,
)

SICK = EventLine("Arrêt maladie", "2026-11-03", "2026-11-07")
START = EventLine("Début de contrat de travail", "2026-11-02", None)
DUPONT = DeclarationLine("Dupont", "Amélie", "002490", None, "2345,50", "151,67", (SICK, START))
MARTIN = DeclarationLine("Martin", "Noël", "003111", "1990-05-04", "12000.00", "169")
CORRECTED = replace(MARTIN, gross="11500.25")
DECLARATION = Declaration(
    number="DS-2026-000012",
    submitted_at="2026-11-24T08:15:00+00:00",  # 09:15 in Monaco
    client_name="SAM « Œuvres » Riviera €",
    client_number="E-012345",
    period_label="novembre 2026",
    declared_by="Cabinet Comptable Grimaldi",
    lines=(DUPONT, MARTIN),
    corrections=(Correction("Rectification", "2026-12-02", "Prime de fin d’année oubliée",
                            (CORRECTED,)),),
)


def normalise(text: str) -> str:
    """NFC, no-break and narrow no-break spaces as spaces, one space for any whitespace run."""
    text = unicodedata.normalize("NFC", text).replace("\u202f", " ").replace("\u00a0", " ")
    return " ".join(text.split())


def pages_text(pdf: bytes) -> list[str]:
    return [normalise(page.extract_text() or "") for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def many(count: int) -> Declaration:
    lines = tuple(replace(MARTIN, last_name=f"Salarié{i}", registration=f"{i:06d}")
                  for i in range(count))
    return replace(DECLARATION, lines=lines, corrections=())


def test_french_declaration_lists_the_client_the_lines_the_totals_and_the_correction() -> None:
    pdf = render_declaration_pdf(DECLARATION, "fr")
    assert pdf.startswith(b"%PDF-")
    text = " ".join(pages_text(pdf))
    for expected in (
        "CAISSES SOCIALES DE MONACO", "Déclaration de salaires", "SAM « Œuvres » Riviera €",
        "E-012345", "novembre 2026", "DS-2026-000012", "24/11/2026 à 09:15",
        "Dupont Amélie 002490 2 345,50 € 151,67",
        "Martin Noël 003111 04/05/1990 12 000,00 € 169",
        "Début de contrat de travail le 02/11/2026",
        "Nombre de salariés : 2", "Total brut : 14 345,50 €", "Total des heures : 320,67",
        "Déclaration rectificative enregistrée par le Service Recouvrement le 02/12/2026",
        "Motif : Prime de fin d’année oubliée", "11 500,25 €", "Page 1 / 1",
    ):
        assert expected in text
    # The event column is narrower than the sentence: it wraps, the words stay in order.
    assert "Arrêt maladie du 03/11/2026 au" in text and "07/11/2026" in text
    assert "English" not in text and "Wage declaration" not in text


def test_english_declaration() -> None:
    text = " ".join(pages_text(render_declaration_pdf(DECLARATION, "en")))
    for expected in ("Wage declaration", "24 November 2026, 09:15", "€2,345.50", "4 May 1990",
                     "Début de contrat de travail on 2 Nov 2026", "Total gross: €14,345.50",
                     "Number of employees: 2", "Reason: Prime de fin d’année oubliée"):
        assert expected in text
    assert "Déclaration de salaires" not in text


def test_metadata_and_embedded_dejavu_font() -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_declaration_pdf(DECLARATION, "fr")))
    assert reader.metadata is not None
    title = "Déclaration de salaires DS-2026-000012 — SAM « Œuvres » Riviera €"
    assert reader.metadata.title == title
    assert reader.metadata.author == "Caisses Sociales de Monaco"
    assert str(cast(DictionaryObject, reader.trailer["/Root"])["/Lang"]) == "fr"
    resources = cast(DictionaryObject, reader.pages[0]["/Resources"])
    fonts = [cast(DictionaryObject, font.get_object())
             for font in cast(DictionaryObject, resources["/Font"]).values()]
    # Only DejaVu Sans (regular and bold), embedded: no Helvetica, whose encoding has no œ.
    assert sorted(str(font["/BaseFont"]).split("+")[1] for font in fonts) == [
        "DejaVuSans", "DejaVuSans-Bold"]
    assert all("/FontFile2" in cast(DictionaryObject, font["/FontDescriptor"]) for font in fonts)


def test_long_declaration_repeats_the_table_header_and_numbers_the_pages() -> None:
    pages = pages_text(render_declaration_pdf(many(300), "fr"))
    total = len(pages)
    assert total > 1
    assert pages[1].startswith("CAISSES SOCIALES DE MONACO — Déclaration de salaires DS-2026-")
    assert "Nom Prénom Matricule" in pages[1]
    assert f"Page 2 / {total}" in pages[1]
    for number, text in enumerate(pages, start=1):
        assert text.endswith(f"Page {number} / {total}")
    joined = " ".join(pages)
    assert all(f"Salarié{i} Noël {i:06d}" in joined for i in range(300))  # no row lost
    assert "Nombre de salariés : 300" in pages[-1]
    assert "Total brut : 3 600 000,00 €" in pages[-1]


def test_long_names_are_cut_to_their_column() -> None:
    long = replace(DUPONT, last_name="De Castelnau-Saint-Exupéry de la Tour d’Auvergne")
    text = " ".join(pages_text(render_declaration_pdf(replace(DECLARATION, lines=(long,)), "fr")))
    assert "De Castelnau" in text and "…" in text
    assert "d’Auvergne" not in text


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        render_declaration_pdf(DECLARATION, "de")
    bad = replace(DECLARATION, lines=(replace(MARTIN, gross="12 000 euros"),))
    with pytest.raises(ValueError, match="not a number"):
        render_declaration_pdf(bad, "fr")
