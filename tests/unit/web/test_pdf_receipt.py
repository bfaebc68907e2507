"""PDF acknowledgment of receipt: content, escaping, pagination, metadata, no fetching."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, cast

import pypdf
import pytest
from pypdf.generic import DictionaryObject

from web.pdf import (
    Receipt,
    ReceiptLine,
    ReceiptSection,
    RemoteFetchRefusedError,
    make_url_fetcher,
    refuse_url_fetch,
    render_receipt_html,
    render_receipt_pdf,
)
from web.pdf import receipt as receipt_module
from web.pdf.receipt import format_submitted_at

SUBMITTED_AT = datetime(2026, 11, 23, 14, 4, tzinfo=UTC)  # 15:04 in Monaco (CET)
SCRIPT = "<script>alert(1)</script>"
REPO_ROOT = Path(__file__).resolve().parents[3]


def make_receipt(lang: str = "fr", *, long_lines: int = 0, amended: bool = False) -> Receipt:
    sections = [
        ReceiptSection(
            title="Ressources du foyer « 2025 »",
            lines=(
                ReceiptLine("Revenus d’activité", "12 345,50 €"),
                ReceiptLine("Éleveur de bœufs", "Bœuf & cœur — Œuvre"),
                ReceiptLine("Observations", SCRIPT),
                ReceiptLine("Adresse", "7 boulevard des Moulins, 98000 Monaco"),
            ),
        ),
    ]
    if long_lines:
        sections.append(
            ReceiptSection(
                title="Détail des périodes",
                lines=tuple(
                    ReceiptLine(f"Période n°{i} « été »", f"{i} 408,91 €")
                    for i in range(long_lines)
                ),
            )
        )
    return Receipt(
        lang=lang,
        procedure="Déclaration de ressources 2026",
        receipt_number="RD-2026-000123",
        submitted_at=SUBMITTED_AT,
        person="Alain Dupont — matricule 002490",
        sections=tuple(sections),
        amended=amended,
    )


def normalise(text: str) -> str:
    """NFC and one space for any run of whitespace (pypdf's spacing varies)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def pdf_text(reader: pypdf.PdfReader) -> str:
    return normalise(" ".join(page.extract_text() or "" for page in reader.pages))


@pytest.fixture(scope="module")
def fr_long_pdf() -> bytes:
    return render_receipt_pdf(make_receipt("fr", long_lines=60))


@pytest.fixture(scope="module")
def en_pdf() -> bytes:
    return render_receipt_pdf(make_receipt("en", amended=True))


def test_is_a_pdf_with_title_lang_and_tags(fr_long_pdf: bytes) -> None:
    assert fr_long_pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(fr_long_pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == (
        "Accusé de réception — Déclaration de ressources 2026 — RD-2026-000123"
    )
    catalog = reader.root_object
    assert str(catalog["/Lang"]) == "fr"
    mark_info = cast(DictionaryObject, catalog["/MarkInfo"].get_object())
    assert mark_info["/Marked"]  # tagged PDF (PDF/UA-1)
    assert "/StructTreeRoot" in catalog


def test_long_receipt_spans_pages_with_counters(fr_long_pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(fr_long_pdf))
    count = len(reader.pages)
    assert count >= 2
    keep = "Conservez ce document : il prouve que votre démarche a bien été reçue."
    for number, page in enumerate(reader.pages, start=1):
        text = normalise(page.extract_text())
        assert f"{number}/{count}" in text
        assert keep in text
    last = normalise(reader.pages[-1].extract_text())
    assert "Période n°59 « été »" in last
    assert "59 408,91 €" in last


def test_french_text_content(fr_long_pdf: bytes) -> None:
    text = pdf_text(pypdf.PdfReader(io.BytesIO(fr_long_pdf)))
    assert "Caisses Sociales de Monaco" in text
    assert "Accusé de réception" in text
    assert "Déclaration de ressources 2026" in text
    assert "RD-2026-000123" in text
    assert "Alain Dupont — matricule 002490" in text
    assert "23/11/2026 à 15:04" in text  # 14:04 UTC shown in Monaco time
    assert "12 345,50 €" in text
    assert "Bœuf & cœur — Œuvre" in text
    assert "Ressources du foyer « 2025 »" in text
    assert "Revenus d’activité" in text
    assert "Déclaration modifiée" not in text


def test_user_data_is_escaped_and_shown_literally(fr_long_pdf: bytes) -> None:
    html = render_receipt_html(make_receipt("fr"))
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Bœuf &amp; cœur" in html
    text = pdf_text(pypdf.PdfReader(io.BytesIO(fr_long_pdf)))
    assert SCRIPT in text


def test_english_variant(en_pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(en_pdf))
    assert str(reader.root_object["/Lang"]) == "en"
    assert reader.metadata is not None
    assert reader.metadata.title is not None
    assert reader.metadata.title.startswith("Acknowledgment of receipt — ")
    text = pdf_text(reader)
    assert "Acknowledgment of receipt" in text
    assert "Accusé de réception" not in text
    assert "23 November 2026, 15:04" in text
    assert "Amended on 23 November 2026, 15:04" in text
    assert "Keep this document: it proves that your procedure was received." in text
    assert "1/1" in text


def test_amended_french_line() -> None:
    html = render_receipt_html(make_receipt("fr", amended=True))
    assert "Déclaration modifiée le 23/11/2026 à 15:04" in html


@pytest.mark.parametrize(
    ("moment", "lang", "expected"),
    [
        (SUBMITTED_AT, "fr", "23/11/2026 à 15:04"),
        (SUBMITTED_AT, "en", "23 November 2026, 15:04"),
        (datetime(2026, 7, 1, 22, 30, tzinfo=UTC), "fr", "02/07/2026 à 00:30"),  # CEST
        (datetime(2026, 7, 1, 22, 30, tzinfo=UTC), "en", "2 July 2026, 00:30"),
    ],
)
def test_dates_are_shown_in_monaco_time(moment: datetime, lang: str, expected: str) -> None:
    assert format_submitted_at(moment, lang) == expected


def test_receipt_rejects_naive_dates_and_unknown_languages() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Receipt("fr", "p", "n", datetime(2026, 11, 23, 14, 4), "x", ())
    with pytest.raises(ValueError, match="language"):
        Receipt("de", "p", "n", SUBMITTED_AT, "x", ())


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/logo.png",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "data:text/css,body{}",
    ],
)
def test_url_fetcher_refuses_everything(url: str) -> None:
    with pytest.raises(RemoteFetchRefusedError):
        refuse_url_fetch(url)
    fetcher = make_url_fetcher()
    with pytest.raises(RemoteFetchRefusedError):
        fetcher(url)
    with pytest.raises(RemoteFetchRefusedError):
        fetcher.fetch(url)


def test_weasyprint_goes_through_the_refusing_fetcher(monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    asked: list[str] = []

    def recording_refusal(url: str, *args: object, **kwargs: object) -> NoReturn:
        asked.append(url)
        raise RemoteFetchRefusedError(url)

    monkeypatch.setattr(receipt_module, "refuse_url_fetch", recording_refusal)
    html = '<p>x</p><img src="http://127.0.0.1:9/pixel.png" alt="">'
    pdf = weasyprint.HTML(string=html, url_fetcher=make_url_fetcher()).write_pdf()
    assert asked == ["http://127.0.0.1:9/pixel.png"]
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-")

    asked.clear()
    render_receipt_pdf(make_receipt("fr"))
    assert asked == []  # the receipt references no resource at all


def test_importing_the_package_does_not_load_weasyprint() -> None:
    code = "import sys, web.pdf; assert 'weasyprint' not in sys.modules, 'weasyprint imported'"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
