"""The queue's CSV file (web/backoffice/csv_export.py): what a spreadsheet shows must never be a
formula (OWASP CSV injection, SECURITY VAL-05), and French Excel must open it as it is."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from web.backoffice.csv_export import BOM, neutralise, rows_to_csv
from web.backoffice.queue import QueueRow

WINTER = datetime(2026, 11, 30, 22, 59, tzinfo=UTC)  # 23:59 in Monaco
SUMMER = datetime(2026, 7, 1, 6, 30, tzinfo=UTC)  # 08:30 in Monaco


def row(**changes: object) -> QueueRow:
    values: dict[str, object] = {
        "id": "0b6c7a8e-0000-4000-8000-000000000001", "workflow": "resource_declaration",
        "receipt_number": "RD-2026-000001", "status": "submitted",
        "owner_identifier": "123456-03091985", "owner_name": "Alain Martin",
        "submitted_at": WINTER, "updated_at": SUMMER, "scope": "2025", "revision": 3}
    return QueueRow(**{**values, **changes})  # type: ignore[arg-type]


def cells(lines: list[str]) -> list[list[str]]:
    text = "".join(lines)
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM):], newline=""), delimiter=";"))


@pytest.mark.parametrize(("typed", "shown"), [
    ("=1+1", "'=1+1"),
    ("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
    ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
    ("Martin", "Martin"),
    ("O'Neil", "O'Neil"),
    ("a=1", "a=1"),  # only the first character counts
    ("", ""),
])
def test_a_cell_that_a_spreadsheet_would_run_is_prefixed_with_a_quote(typed, shown):
    assert neutralise(typed) == shown


@pytest.mark.parametrize("payload", ["=1+1", "+1", "-1", "@A1", "\t1", "\r1"])
def test_every_cell_of_a_row_is_neutralised(payload):
    found = cells(list(rows_to_csv([row(owner_name=payload, scope=payload,
                                        owner_identifier=payload, receipt_number=payload,
                                        status=payload)], "fr")))
    data = found[1]
    for column in (0, 2, 3, 4, 5):
        assert data[column] == "'" + payload, (column, data)


@pytest.mark.parametrize(("lang", "header"), [
    ("fr", ["Numéro d'accusé de réception", "Démarche", "Statut", "Identifiant", "Nom",
            "Période", "Transmise le", "Modifiée le", "Référence interne"]),
    ("en", ["Receipt number", "Procedure", "Status", "Identifier", "Name", "Period",
            "Submitted at", "Updated at", "Internal reference"]),
    ("de", ["Numéro d'accusé de réception", "Démarche", "Statut", "Identifiant", "Nom",
            "Période", "Transmise le", "Modifiée le", "Référence interne"]),
])
def test_the_header_is_in_the_readers_language(lang, header):
    assert cells(list(rows_to_csv([], lang))) == [header]


def test_the_file_opens_in_french_excel_bom_semicolons_crlf_monaco_time():
    lines = list(rows_to_csv([row(owner_name="Martin; Alain \"Al\"")], "fr"))
    assert lines[0].startswith("\ufeffNuméro d'accusé de réception;Démarche;")
    assert all(line.endswith("\r\n") for line in lines)
    assert lines[1] == ('RD-2026-000001;resource_declaration;submitted;123456-03091985;'
                        '"Martin; Alain ""Al""";2025;2026-11-30 23:59;2026-07-01 08:30;'
                        '0b6c7a8e-0000-4000-8000-000000000001\r\n')


def test_one_line_per_row_streamed_and_status_words_from_the_caller():
    rows = (row(id=f"id{i}", status="in_review") for i in range(3))  # a generator: streamed
    lines = list(rows_to_csv(rows, "en", lambda wf, status, lang: f"{wf}/{status}/{lang}"))
    assert len(lines) == 4
    assert cells(lines)[1][2] == "resource_declaration/in_review/en"
    assert cells(list(rows_to_csv([row(receipt_number=None)], "fr")))[1][0] == ""
