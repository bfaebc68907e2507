"""PDF of an online wage declaration (ref 004, "Déclarations de salaires", annex "PDF d'une
déclaration en ligne"): the employer's copy downloaded from the acknowledgment of receipt.

Independent of Flask and of the database: the caller builds a :class:`Declaration` and gets the
PDF bytes from :func:`render_declaration_pdf`. Drawn with reportlab's canvas, not WeasyPrint
(:mod:`web.pdf.receipt`): a declaration may list 5,000 employees, which must render in a few
seconds. The layout is computed first (rows have a fixed line height, events wrap, names are
cut with "…"), so the page count is known before the first page is drawn ("Page N / M"). Text
is in DejaVu Sans (Debian's fonts-dejavu-core), embedded as a subset, for « » œ € and the like.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from engine.review import money
from web.pdf.receipt import FUND_NAME, MONACO, format_submitted_at

__all__ = ["Correction", "Declaration", "DeclarationLine", "EventLine", "render_declaration_pdf"]

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
_fonts_lock = threading.Lock()
_fonts_ready = False

WIDTH, HEIGHT = A4
MARGIN = 40.0
SIZE, LEAD, PAD = 7.5, 9.0, 3.0  # table text size, line height, padding above/below a row
TOP, BOTTOM = HEIGHT - MARGIN, MARGIN + 20.0  # the footer sits under BOTTOM
GAP = 4.0  # between columns
_FIXED = ((74.0, "L"), (62.0, "L"), (44.0, "L"), (46.0, "L"), (56.0, "R"), (32.0, "R"))
EVENTS_WIDTH = WIDTH - 2 * MARGIN - sum(width + GAP for width, _ in _FIXED)
#: (width, alignment) of Nom, Prénom, Matricule, Date de naissance, Montant brut, Heures, Événements
COLUMNS = (*_FIXED, (EVENTS_WIDTH, "L"))
_EN_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

_TEXTS: dict[str, dict[str, str]] = {
    "fr": {"title": "Déclaration de salaires", "client": "Client : {name} — n° employeur {number}",
           "period": "Période : {period}", "receipt": "Accusé de réception n° {number}, "
           "transmis le {at}", "by": "Déclarée par : {name}",
           "columns": "Nom|Prénom|Matricule|Date de\nnaissance|Montant\nbrut|Heures|Événements",
           "totals": "Totaux", "count": "Nombre de salariés : {n}", "gross": "Total brut : {v}",
           "hours": "Total des heures : {v}", "both": "{k} du {a} au {b}", "one": "{k} le {a}",
           "correction": "Déclaration rectificative enregistrée par le Service Recouvrement "
           "le {date}", "reason": "Motif : {reason}", "page": "Page {n} / {total}"},
    "en": {"title": "Wage declaration", "client": "Client: {name} — employer no. {number}",
           "period": "Period: {period}", "receipt": "Receipt no. {number}, submitted on {at}",
           "by": "Declared by: {name}",
           "columns": "Last name|First name|Reg. no.|Date of\nbirth|Gross\namount|Hours|Events",
           "totals": "Totals", "count": "Number of employees: {n}", "gross": "Total gross: {v}",
           "hours": "Total hours: {v}", "both": "{k} from {a} to {b}", "one": "{k} on {a}",
           "correction": "Corrective declaration recorded by the Collection Department on {date}",
           "reason": "Reason: {reason}", "page": "Page {n} / {total}"},
}  # fmt: skip


@dataclass(frozen=True)
class EventLine:
    kind_label: str  # e.g. "Arrêt maladie", in the document's language
    start: str | None = None  # ISO dates
    end: str | None = None


@dataclass(frozen=True)
class DeclarationLine:
    last_name: str
    first_name: str
    registration: str  # matricule
    birth_date: str | None  # ISO; given for the employees the employer added
    gross: str  # "2345.50" or "2345,50"
    hours: str  # "151.67" or "151,67"
    events: tuple[EventLine, ...] = ()


@dataclass(frozen=True)
class Correction:
    kind_label: str  # e.g. "Rectification"
    recorded_on: str  # ISO date
    reason: str
    lines: tuple[DeclarationLine, ...]


@dataclass(frozen=True)
class Declaration:
    number: str  # receipt number, e.g. "DS-2026-000012"
    submitted_at: str  # ISO datetime; naive means Monaco time
    client_name: str
    client_number: str
    period_label: str  # e.g. "novembre 2026"
    declared_by: str
    lines: tuple[DeclarationLine, ...]
    corrections: tuple[Correction, ...] = ()


class _Op(NamedTuple):
    font: str  # REGULAR, BOLD, or "" for a rule across the page at y
    size: float
    x: float
    y: float
    text: str


def register_fonts() -> None:
    """Register DejaVu Sans once per process (thread-safe; reportlab's registry is global)."""
    global _fonts_ready
    with _fonts_lock:
        if not _fonts_ready:
            pdfmetrics.registerFont(TTFont(REGULAR, f"{FONT_DIR}/DejaVuSans.ttf"))
            pdfmetrics.registerFont(TTFont(BOLD, f"{FONT_DIR}/DejaVuSans-Bold.ttf"))
            _fonts_ready = True


def _decimal(raw: str, what: str) -> Decimal:
    try:
        return Decimal(raw.strip().replace("\u202f", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{what} is not a number: {raw!r}") from None


def _number(value: Decimal, lang: str) -> str:
    """``1 234,5`` (fr, narrow no-break space) or ``1,234.5`` (en); no trailing zeros."""
    text = f"{value.normalize():,f}"
    return text.replace(",", "\u202f").replace(".", ",") if lang == "fr" else text


def _day(iso: str | None, lang: str) -> str:
    if not iso:
        return ""
    day = date.fromisoformat(iso)
    return f"{day:%d/%m/%Y}" if lang == "fr" else f"{day.day} {_EN_MONTHS[day.month - 1]} {day:%Y}"


def _event(event: EventLine, lang: str) -> str:
    """``Arrêt maladie du 03/11/2026 au 07/11/2026``, ``Début de contrat … le 02/11/2026``."""
    start, end = _day(event.start, lang), _day(event.end, lang)
    if start and end:
        return _TEXTS[lang]["both"].format(k=event.kind_label, a=start, b=end)
    if start or end:
        return _TEXTS[lang]["one"].format(k=event.kind_label, a=start or end)
    return event.kind_label


def _fit(text: str, width: float) -> str:
    """The text, cut with "…" so it fits in ``width`` points."""
    if pdfmetrics.stringWidth(text, REGULAR, SIZE) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", REGULAR, SIZE) > width:
        text = text[:-1]
    return text + "…"


class _Layout:
    """Pages as lists of :class:`_Op`, with the table header repeated on each new page."""

    def __init__(self, lang: str, running_head: str) -> None:
        self.lang, self.running_head = lang, running_head
        self.pages: list[list[_Op]] = [[]]
        self.y = TOP
        self.in_table = False

    def rule(self) -> None:
        self.pages[-1].append(_Op("", 0.0, MARGIN, self.y, ""))

    def need(self, height: float) -> None:
        """Start a new page (running head, table header) unless ``height`` fits on this one."""
        if self.y - height >= BOTTOM:
            return
        self.pages.append([_Op(REGULAR, 7.0, MARGIN, TOP, self.running_head)])
        self.y = TOP - 14.0
        if self.in_table:
            self.header()

    def paragraph(self, text: str, font: str = REGULAR, size: float = 9.0) -> None:
        for line in simpleSplit(text, font, size, WIDTH - 2 * MARGIN):
            self.need(size + 3.0)
            self.y -= size + 3.0
            self.pages[-1].append(_Op(font, size, MARGIN, self.y, line))

    def row(self, cells: list[list[str]], font: str) -> None:
        """One row of the table; each cell is a list of lines, numbers are aligned right."""
        height = max(len(lines) for lines in cells)
        self.need(height * LEAD + 2 * PAD)
        self.y -= PAD + SIZE
        x = MARGIN
        for lines, (width, align) in zip(cells, COLUMNS, strict=True):
            for number, text in enumerate(lines):
                shift = width - pdfmetrics.stringWidth(text, font, SIZE) if align == "R" else 0
                self.pages[-1].append(_Op(font, SIZE, x + shift, self.y - number * LEAD, text))
            x += width + GAP
        self.y -= (height - 1) * LEAD + PAD
        self.rule()

    def header(self) -> None:
        self.in_table = False
        self.need(5 * LEAD)  # never a header alone at the bottom of a page
        self.row([label.split("\n") for label in _TEXTS[self.lang]["columns"].split("|")], BOLD)
        self.in_table = True

    def table(self, lines: tuple[DeclarationLine, ...]) -> tuple[Decimal, Decimal]:
        """The lines under a header row; returns their total gross amount and hours."""
        lang, gross, hours = self.lang, Decimal(0), Decimal(0)
        self.header()
        for line in lines:
            amount = _decimal(line.gross, f"gross amount of {line.registration}")
            worked = _decimal(line.hours, f"hours of {line.registration}")
            gross, hours = gross + amount, hours + worked
            events = [part for event in line.events
                      for part in simpleSplit(_event(event, lang), REGULAR, SIZE, EVENTS_WIDTH)]
            names = (line.last_name, line.first_name, line.registration)
            self.row([*([_fit(name, COLUMNS[i][0])] for i, name in enumerate(names)),
                      [_day(line.birth_date, lang)], [money(str(amount), lang)],
                      [_number(worked, lang)], events], REGULAR)
        self.in_table = False
        self.y -= 8.0
        return gross, hours


def render_declaration_pdf(declaration: Declaration, lang: str) -> bytes:
    """The declaration as an A4 PDF: header, employees' table, totals, then the corrections."""
    if lang not in _TEXTS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {tuple(_TEXTS)}")
    register_fonts()
    texts, d = _TEXTS[lang], declaration
    moment = datetime.fromisoformat(d.submitted_at)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=MONACO)
    layout = _Layout(lang, f"{FUND_NAME.upper()} — {texts['title']} {d.number} — {d.client_name}")
    layout.paragraph(FUND_NAME.upper(), BOLD, 11.0)
    layout.y -= 12.0
    layout.paragraph(texts["title"], BOLD, 16.0)
    layout.y -= 6.0
    for line in (texts["client"].format(name=d.client_name, number=d.client_number),
                 texts["period"].format(period=d.period_label),
                 texts["receipt"].format(number=d.number, at=format_submitted_at(moment, lang)),
                 texts["by"].format(name=d.declared_by)):
        layout.paragraph(line)
    layout.y -= 8.0
    gross, hours = layout.table(d.lines)
    layout.need(4 * 12.0)
    layout.paragraph(texts["totals"], BOLD)
    layout.paragraph(texts["count"].format(n=len(d.lines)))
    layout.paragraph(texts["gross"].format(v=money(str(gross), lang)))
    layout.paragraph(texts["hours"].format(v=_number(hours, lang)))
    for correction in d.corrections:
        layout.y -= 10.0
        layout.need(3 * 12.0 + 5 * LEAD)
        layout.paragraph(correction.kind_label, BOLD, 10.0)
        layout.paragraph(texts["correction"].format(date=_day(correction.recorded_on, lang)))
        layout.paragraph(texts["reason"].format(reason=correction.reason))
        layout.y -= 4.0
        layout.table(correction.lines)
    return _draw(layout.pages, declaration, lang)


def _draw(pages: list[list[_Op]], declaration: Declaration, lang: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, lang=lang, initialFontName=REGULAR)
    canvas.setTitle(f"{_TEXTS[lang]['title']} {declaration.number} — {declaration.client_name}")
    canvas.setAuthor(FUND_NAME)
    canvas.setSubject(declaration.period_label)
    canvas.setLineWidth(0.3)
    canvas.setStrokeGray(0.75)
    for number, ops in enumerate(pages, start=1):
        text = canvas.beginText()
        font: tuple[str, float] = ("", 0.0)
        for op in ops:
            if not op.font:
                canvas.line(MARGIN, op.y - PAD / 2, WIDTH - MARGIN, op.y - PAD / 2)
                continue
            if (op.font, op.size) != font:
                font = (op.font, op.size)
                text.setFont(*font)
            text.setTextOrigin(op.x, op.y)
            text.textOut(op.text)
        footer = _TEXTS[lang]["page"].format(n=number, total=len(pages))
        text.setFont(REGULAR, 8.0)
        text.setTextOrigin((WIDTH - pdfmetrics.stringWidth(footer, REGULAR, 8.0)) / 2, MARGIN)
        text.textOut(footer)
        canvas.drawText(text)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
