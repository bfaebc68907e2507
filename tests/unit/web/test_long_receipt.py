"""A receipt of thousands of lines (a wage declaration) is drawn by reportlab, fast, with every
line; a short one stays WeasyPrint's."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime

import pypdf

from web.pdf.long_receipt import LONG_RECEIPT_LINES, line_count, render_long_receipt_pdf
from web.pdf.receipt import Receipt, ReceiptLine, ReceiptSection


def receipt(lines: int, lang: str = "fr") -> Receipt:
    section = ReceiptSection("Salariés de la période", tuple(
        ReceiptLine(f"Salarié n° {i + 1} — Nom", f"Nom{i + 1} « Œuvre » 2 450,00 €")
        for i in range(lines)))
    return Receipt(lang=lang, procedure="Déclaration de salaires", receipt_number="DS-2026-000042",
                   submitted_at=datetime(2026, 11, 23, 9, 15, tzinfo=UTC),
                   person="Boulangerie du Rocher", sections=(section,))


def text_of(pdf: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = " ".join(p.extract_text() or "" for p in reader.pages)
    return len(reader.pages), re.sub(r"[\s\u00a0\u202f]+", " ", text)


def test_every_line_is_drawn_on_numbered_pages() -> None:
    long = receipt(LONG_RECEIPT_LINES + 600)
    assert line_count(long) == 1000
    started = time.perf_counter()
    pages, text = text_of(render_long_receipt_pdf(long))
    assert time.perf_counter() - started < 10  # generous: the bench measures it
    assert pages > 10 and f"Page {pages} / {pages}" in text
    for expected in ("Accusé de réception", "DS-2026-000042", "Déclaration de salaires",
                     "23/11/2026", "Salarié n° 1 — Nom", "Nom1000 « Œuvre » 2 450,00 €",
                     "Conservez ce document"):
        assert expected in text, expected


def test_the_english_receipt_has_the_english_texts() -> None:
    _pages, text = text_of(render_long_receipt_pdf(receipt(3, "en")))
    assert "Acknowledgment of receipt" in text and "Receipt number" in text
    assert "Accusé" not in text
