"""The receipt (accusé de réception) of a long submission, drawn with reportlab.

WeasyPrint lays a receipt out from HTML (:mod:`web.pdf.receipt`): right for a few pages, but
about 1.5 s per 500 lines (research/libraries.md), so a wage declaration of 5,000 employees
(35,000 summary lines) would take minutes. Past :data:`LONG_RECEIPT_LINES` lines the same
:class:`~web.pdf.receipt.Receipt` is drawn here instead: the same texts and order (heading,
procedure, number, date, person, then each section's label and value), a plain two-column
layout, "Page N / M" on every page. A few hundred milliseconds for 35,000 lines.
"""

from __future__ import annotations

import io
from typing import NamedTuple

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from web.pdf.declaration import BOLD, REGULAR, register_fonts
from web.pdf.receipt import _TEXTS, FUND_NAME, Receipt, format_submitted_at

LONG_RECEIPT_LINES = 400
"""Receipts with more lines than this are drawn by :func:`render_long_receipt_pdf`."""

WIDTH, HEIGHT = A4
MARGIN, SIZE, LEAD = 40.0, 8.0, 10.0
LABEL_WIDTH = (WIDTH - 2 * MARGIN) * 0.5


class _Text(NamedTuple):
    font: str
    size: float
    x: float
    text: str


def line_count(receipt: Receipt) -> int:
    return sum(len(section.lines) for section in receipt.sections)


def _rows(receipt: Receipt) -> list[tuple[float, list[_Text]]]:
    """Each row to draw: its height and its texts (the first row's y is the page's top)."""
    texts = _TEXTS[receipt.lang]
    when = format_submitted_at(receipt.submitted_at, receipt.lang)
    rows: list[tuple[float, list[_Text]]] = [
        (16.0, [_Text(BOLD, 12, MARGIN, FUND_NAME)]),
        (16.0, [_Text(BOLD, 11, MARGIN, texts["title"])])]
    for key, value in (("procedure", receipt.procedure), ("number", receipt.receipt_number),
                       ("submitted_at", when), ("person", receipt.person)):
        rows.append((LEAD + 2, [_Text(BOLD, SIZE, MARGIN, texts[key]),
                                _Text(REGULAR, SIZE, MARGIN + LABEL_WIDTH, value)]))
    if receipt.amended:
        rows.append((LEAD + 2, [_Text(BOLD, SIZE, MARGIN, texts["amended"].format(date=when))]))
    for section in receipt.sections:
        rows.append((LEAD * 2, [_Text(BOLD, 9.5, MARGIN, section.title)]))
        for line in section.lines:
            labels: list[str] = simpleSplit(line.label, REGULAR, SIZE, LABEL_WIDTH - 6) or [""]
            values: list[str] = simpleSplit(line.value, REGULAR, SIZE, LABEL_WIDTH) or [""]
            rows.append((LEAD * max(len(labels), len(values)),
                         [_Text(REGULAR, SIZE, MARGIN, "\n".join(labels)),
                          _Text(REGULAR, SIZE, MARGIN + LABEL_WIDTH, "\n".join(values))]))
    rows.append((LEAD * 2, [_Text(REGULAR, SIZE, MARGIN, texts["keep"])]))
    return rows


def _pages(rows: list[tuple[float, list[_Text]]]) -> list[list[tuple[float, _Text]]]:
    pages: list[list[tuple[float, _Text]]] = [[]]
    y = HEIGHT - MARGIN
    for height, texts in rows:
        if y - height < MARGIN + LEAD and pages[-1]:
            pages.append([])
            y = HEIGHT - MARGIN
        y -= height
        pages[-1].extend((y, text) for text in texts)
    return pages


def render_long_receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as PDF bytes, however many lines it has."""
    register_fonts()
    pages = _pages(_rows(receipt))
    texts = _TEXTS[receipt.lang]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1, lang=receipt.lang,
                    initialFontName=REGULAR)
    canvas.setTitle(f"{texts['title']} {receipt.receipt_number}")
    canvas.setAuthor(FUND_NAME)
    for number, page in enumerate(pages, start=1):
        for y, text in page:
            lines = text.text.split("\n")
            drawn = canvas.beginText(text.x, y + LEAD * (len(lines) - 1) + 2)
            drawn.setFont(text.font, text.size, LEAD)
            for line in lines:
                drawn.textLine(line)
            canvas.drawText(drawn)
        canvas.setFont(REGULAR, 7)
        canvas.drawRightString(WIDTH - MARGIN, MARGIN / 2,
                               f"{texts['page']} {number} / {len(pages)}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()
