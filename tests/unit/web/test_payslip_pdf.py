"""Payslips: the rates loaded from the catalogue, and the PDF read back with pypdf."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, cast

import pypdf
import pytest
from pypdf.generic import DictionaryObject

from rules.payslip import Extra, compute_payslip
from web import payslips
from web.payslips import (
    PayslipDocument,
    RatesError,
    format_amount,
    format_rate,
    load_rates,
    render_payslip_html,
    render_payslip_pdf,
)
from web.pdf import RemoteFetchRefusedError
from web.pdf import receipt as receipt_module

REPO_ROOT = Path(__file__).resolve().parents[3]
D = Decimal
SCRIPT = "<script>alert(1)</script>"


def normalise(text: str) -> str:
    """NFC, narrow no-break spaces as spaces, one space for any run of whitespace."""
    return " ".join(unicodedata.normalize("NFC", text).replace("\u202f", " ").split())


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return normalise(" ".join(page.extract_text() or "" for page in reader.pages))


def document(lang: str = "fr", period: str = "2026-01") -> PayslipDocument:
    slip = compute_payslip(load_rates(REPO_ROOT), period, D("15.00"), D("151.67"),
                           [Extra("Prime d’objectifs", D("100.00")), Extra(SCRIPT, D("0.00"))])
    return PayslipDocument(lang=lang, employer_name="Boulangerie du Rocher « SAM »",
                           employer_number="E-004512", employee_name="Anna Rossi",
                           registration="123456", payslip=slip, issued_on=date(2026, 2, 3))


@pytest.fixture(scope="module")
def fr_pdf() -> bytes:
    return render_payslip_pdf(document("fr"))


def test_load_rates_reads_the_catalogue() -> None:
    rates = load_rates(REPO_ROOT)
    codes = [entry["code"] for entry in rates]
    assert "car_2025" in codes and "car_2026" in codes
    assert all(isinstance(entry["employee_rate"], str) for entry in rates)


def copy_with(tmp_path: Path, old: str, new: str) -> Path:
    (tmp_path / "catalogues").mkdir()
    source = (REPO_ROOT / payslips.RATES_FILE).read_text("utf-8")
    assert old in source
    (tmp_path / payslips.RATES_FILE).write_text(source.replace(old, new, 1), "utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param('employee_rate: "6.85"', 'employee_rate: "6,85"', "expected shape",
                     id="a comma in a rate"),
        pytest.param('employer_rate: "13.45"', "employer_rate: 13.45", "must be of type string",
                     id="a number, not a text"),
        pytest.param('valid_to: "2025-12-31"', 'valid_to: "2026-01-31"', "both in force",
                     id="overlapping entries"),
        pytest.param("code: car_2026", "code: car_2025", "already the code",
                     id="duplicate code"),
        pytest.param("catalogue: contribution_rates", "catalogue: rates", "expected",
                     id="another catalogue name"),
    ],
)
def test_load_rates_refuses_a_broken_table(tmp_path: Path, old: str, new: str,
                                           message: str) -> None:
    root = copy_with(tmp_path, old, new)
    with pytest.raises(RatesError, match=message):
        load_rates(root)


def test_load_rates_without_the_file(tmp_path: Path) -> None:
    with pytest.raises(RatesError, match="contribution_rates.yaml"):
        load_rates(tmp_path)


def test_the_engine_checker_sees_the_same_problem(tmp_path: Path) -> None:
    # The analysts' checker reports a broken rates catalogue even though no workflow uses it.
    shutil.copytree(REPO_ROOT / "workflows", tmp_path / "workflows")
    for folder in ("forms", "contexts", "catalogues"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder)
    path = tmp_path / payslips.RATES_FILE
    text = path.read_text("utf-8").replace('employee_rate: "6.85"', 'employee_rate: "6,85"', 1)
    path.write_text(text, "utf-8")
    result = subprocess.run([sys.executable, "-m", "engine", "check", str(tmp_path)],
                            cwd=REPO_ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert result.returncode == 1
    assert "contribution_rates.yaml" in result.stdout + result.stderr


def test_is_a_tagged_pdf_with_title_and_lang(fr_pdf: bytes) -> None:
    assert fr_pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(fr_pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == "Bulletin de salaire — janvier 2026 — Anna Rossi"
    catalog = reader.root_object
    assert str(catalog["/Lang"]) == "fr"
    assert cast(DictionaryObject, catalog["/MarkInfo"].get_object())["/Marked"]


def test_french_content(fr_pdf: bytes) -> None:
    text = pdf_text(fr_pdf)
    for expected in [
        "Bulletin de salaire", "janvier 2026", "Boulangerie du Rocher « SAM »", "E-004512",
        "Anna Rossi", "123456", "03/02/2026",
        "151,67", "15,00 €", "2 275,05 €", "Prime d’objectifs", "100,00 €",
        "2 375,05 €",  # gross
        "CAR — retraite de base", "plafond 6 200,00 €", "6,85 %", "162,69 €", "203,07 €",
        "Retraite complémentaire — tranche 2", "de 4 005,00 € à 32 040,00 €",
        "314,93 €", "761,44 €",  # totals
        "Net à payer", "2 060,12 €", "3 136,49 €",
    ]:
        assert expected in text, expected
    assert SCRIPT in text  # shown literally, escaped in the HTML
    assert SCRIPT not in render_payslip_html(document("fr"))


def test_english_december_uses_the_older_rates() -> None:
    text = pdf_text(render_payslip_pdf(document("en", "2025-12")))
    for expected in ["Payslip", "December 2025", "3 February 2026", "€2,375.05", "6.55%",
                     "€155.57", "Net pay", "€2,067.24", "ceiling €6,000.00"]:
        assert expected in text, expected


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [("1234567.5", "fr", "1\u202f234\u202f567,50\u202f€"), ("1234567.5", "en", "€1,234,567.50"),
     ("-72.46", "fr", "-72,46\u202f€"), ("0", "en", "€0.00")],
)
def test_format_amount(value: str, lang: str, expected: str) -> None:
    assert format_amount(D(value), lang) == expected


def test_format_rate() -> None:
    assert format_rate(D("13.45"), "fr") == "13,45\u202f%"
    assert format_rate(D("2.4"), "en") == "2.40%"
    assert format_rate(D("0.1234"), "en") == "0.1234%"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        PayslipDocument("de", "x", "x", "x", "x", document().payslip, date(2026, 1, 1))


def test_nothing_is_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def recording_refusal(url: str, *args: Any, **kwargs: Any) -> NoReturn:
        asked.append(url)
        raise RemoteFetchRefusedError(url)

    monkeypatch.setattr(receipt_module, "refuse_url_fetch", recording_refusal)
    render_payslip_pdf(document("fr"))
    assert asked == []


def test_importing_the_module_does_not_load_weasyprint() -> None:
    code = "import sys, web.payslips; assert 'weasyprint' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert result.returncode == 0, result.stderr
