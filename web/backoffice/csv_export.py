"""The queue as a CSV file: the filtered list, streamed, safe to open in a spreadsheet.

The format is the one French Excel opens by a double click: UTF-8 with a byte order mark,
``;`` between cells (the list separator of a French locale, where ``,`` is the decimal comma),
CRLF at the end of each line, cells quoted only when needed. Dates are Europe/Monaco local time,
``YYYY-MM-DD HH:MM``. The header row is in the reader's language.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their
full-width forms, which some spreadsheets also read as formulas) is prefixed with ``'``: a
spreadsheet then shows it as text instead of running it as a formula (OWASP "CSV injection",
SECURITY VAL-05). Names, scopes and every other cell go through the same function.

:func:`export` reads the whole filtered list through the queue's own keyset pages, in batches:
never OFFSET, never the whole list in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from web.backoffice.queue import MONACO, QueueFilter, QueueRow, page

BOM = "\ufeff"
SEPARATOR = ";"
BATCH = 1000
EXPORT_LIMIT = 100_000
"""At most this many rows in one file unless the caller asks for more."""
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

HEADERS = {
    "fr": ("Numéro d'accusé de réception", "Démarche", "Statut", "Identifiant", "Nom",
           "Période", "Transmise le", "Modifiée le", "Référence interne"),
    "en": ("Receipt number", "Procedure", "Status", "Identifier", "Name", "Period",
           "Submitted at", "Updated at", "Internal reference"),
}

StatusLabel = Callable[[str, str, str], str]
"""``(workflow, status, lang) -> words``: how a status reads (default: its name)."""


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet must show it: text, never a formula."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def _when(at: datetime | None) -> str:
    return "" if at is None else f"{at.astimezone(MONACO):%Y-%m-%d %H:%M}"


def _line(cells: Iterable[str]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=SEPARATOR, lineterminator="\r\n").writerow(
        [neutralise(c) for c in cells])
    return out.getvalue()


def rows_to_csv(rows: Iterable[QueueRow], lang: str,
                status_label: StatusLabel | None = None) -> Iterator[str]:
    """The file, one line at a time: the byte order mark and the header row first."""
    lang = lang if lang in HEADERS else "fr"
    yield BOM + _line(HEADERS[lang])
    for row in rows:
        status = status_label(row.workflow, row.status, lang) if status_label else row.status
        yield _line([row.receipt_number or "", row.workflow, status, row.owner_identifier,
                     row.owner_name, row.scope, _when(row.submitted_at),
                     _when(row.updated_at), row.id])


def queue_rows(session: Session, flt: QueueFilter, limit: int = EXPORT_LIMIT,
               batch: int = BATCH) -> Iterator[QueueRow]:
    """Every row of the filtered queue, up to ``limit``, read ``batch`` at a time by keyset."""
    cursor: str | None = None
    left = limit
    while left > 0:
        found = page(session, flt, cursor, min(batch, left))
        yield from found.rows
        left -= len(found.rows)
        cursor = found.next_cursor
        if cursor is None:
            return


def export(session: Session, flt: QueueFilter, lang: str, limit: int = EXPORT_LIMIT,
           status_label: StatusLabel | None = None) -> Iterator[str]:
    """The filtered queue as CSV lines (at most ``limit`` rows), streamed batch by batch. The
    session must stay open while the lines are consumed (``stream_with_context`` in a view)."""
    return rows_to_csv(queue_rows(session, flt, limit), lang, status_label)


__all__ = ["BOM", "EXPORT_LIMIT", "HEADERS", "SEPARATOR", "export", "neutralise", "queue_rows",
           "rows_to_csv"]
