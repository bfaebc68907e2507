"""PDF acknowledgment of receipt ("accusé de réception") of a submitted procedure.

Independent of Flask and of the database: the caller builds a :class:`Receipt` and gets
the PDF bytes from :func:`render_receipt_pdf`.

WeasyPrint is imported lazily inside the rendering functions: importing it loads Pango
through ``ffi.dlopen`` at module level, which is slow and fails when the system
libraries are missing; the rest of the application must start regardless.

Rendering never fetches anything: the template references no external resource and the
URL fetcher given to WeasyPrint refuses every URL (``http``, ``https``, ``file``,
``data``...). All user data is escaped by Jinja's autoescape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

import jinja2

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

__all__ = [
    "FUND_NAME",
    "LANGUAGES",
    "PDF_VARIANT",
    "Receipt",
    "ReceiptLine",
    "ReceiptSection",
    "RemoteFetchRefusedError",
    "TEMPLATES",
    "format_submitted_at",
    "html_to_pdf",
    "make_url_fetcher",
    "refuse_url_fetch",
    "render_receipt_html",
    "render_receipt_pdf",
]

FUND_NAME = "Caisses Sociales de Monaco"
LANGUAGES = ("fr", "en")
#: Tagged PDF (PDF/UA-1, PDF 1.7) for accessibility; supported by WeasyPrint 70.0.
PDF_VARIANT = "pdf/ua-1"
MONACO = ZoneInfo("Europe/Monaco")
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Accusé de réception",
        "procedure": "Démarche",
        "number": "Numéro d’accusé",
        "submitted_at": "Date de dépôt",
        "person": "Déposé par",
        "amended": "Déclaration modifiée le {date}",
        "label": "Rubrique",
        "value": "Valeur",
        "keep": "Conservez ce document : il prouve que votre démarche a bien été reçue.",
        "page": "Page",
    },
    "en": {
        "title": "Acknowledgment of receipt",
        "procedure": "Procedure",
        "number": "Receipt number",
        "submitted_at": "Submitted on",
        "person": "Submitted by",
        "amended": "Amended on {date}",
        "label": "Item",
        "value": "Value",
        "keep": "Keep this document: it proves that your procedure was received.",
        "page": "Page",
    },
}


@dataclass(frozen=True)
class ReceiptLine:
    label: str
    value: str


@dataclass(frozen=True)
class ReceiptSection:
    title: str
    lines: tuple[ReceiptLine, ...]


@dataclass(frozen=True)
class Receipt:
    lang: str  # "fr" or "en"
    procedure: str  # e.g. "Déclaration de ressources 2026"
    receipt_number: str  # e.g. "RD-2026-000123"
    submitted_at: datetime  # aware (UTC); shown in Europe/Monaco time
    person: str  # e.g. "Alain Dupont — matricule 002490"
    sections: tuple[ReceiptSection, ...]
    amended: bool = False  # True when this receipt follows an amendment

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(
                f"unsupported receipt language {self.lang!r}; expected one of {LANGUAGES}"
            )
        offset = self.submitted_at.utcoffset()
        if offset is None:
            raise ValueError("Receipt.submitted_at must be timezone-aware (UTC)")


class RemoteFetchRefusedError(ValueError):
    """Raised for every URL WeasyPrint asks for while rendering a receipt."""


def refuse_url_fetch(url: str, *args: object, **kwargs: object) -> NoReturn:
    """URL fetcher that refuses everything: receipts never load any resource."""
    raise RemoteFetchRefusedError(f"fetching resources is disabled for PDF receipts: {url!r}")


@cache
def _refusing_fetcher_class() -> type[URLFetcher]:
    # WeasyPrint 70 expects a ``URLFetcher`` instance (it reads ``_fail_on_errors`` on
    # failure), not a bare callable, so subclass it and refuse in ``fetch``.
    from weasyprint.urls import URLFetcher

    class RefusingURLFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint is untyped
        def fetch(self, url: str, headers: Any = None) -> NoReturn:
            refuse_url_fetch(url)

    return RefusingURLFetcher


def make_url_fetcher() -> URLFetcher:
    """A WeasyPrint URL fetcher whose every call raises :class:`RemoteFetchRefusedError`.

    ``fail_on_errors`` stays False: should a resource ever slip into the template,
    WeasyPrint logs the refusal as a warning and renders without it (nothing is fetched).
    """
    return _refusing_fetcher_class()(allowed_protocols=())


def format_submitted_at(moment: datetime, lang: str) -> str:
    """``23/11/2026 à 15:04`` (fr) or ``23 November 2026, 15:04`` (en), Monaco time."""
    if moment.utcoffset() is None:
        raise ValueError("submitted_at must be timezone-aware")
    local = moment.astimezone(MONACO)
    if lang == "fr":
        return f"{local:%d/%m/%Y} à {local:%H:%M}"
    if lang == "en":
        return f"{local.day} {_EN_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"
    raise ValueError(f"unsupported language {lang!r}")


TEMPLATES = _ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_receipt_html(receipt: Receipt) -> str:
    """The receipt as a self-contained HTML document (no external resource)."""
    texts = _TEXTS[receipt.lang]
    when = format_submitted_at(receipt.submitted_at, receipt.lang)
    return _ENV.get_template("receipt.html.j2").render(
        receipt=receipt,
        t=texts,
        fund_name=FUND_NAME,
        submitted_at=when,
        amended_text=texts["amended"].format(date=when) if receipt.amended else None,
    )


def render_receipt_pdf(receipt: Receipt) -> bytes:
    """Render the receipt as a tagged (PDF/UA-1) A4 PDF and return its bytes."""
    return html_to_pdf(render_receipt_html(receipt))


def html_to_pdf(document: str) -> bytes:
    """A self-contained HTML document as a tagged (PDF/UA-1) PDF; no URL is ever fetched."""
    import weasyprint  # lazy: loads Pango, see module docstring

    html = weasyprint.HTML(string=document, url_fetcher=make_url_fetcher())
    pdf = html.write_pdf(pdf_variant=PDF_VARIANT)
    if not isinstance(pdf, bytes):  # write_pdf() without a target returns the bytes
        raise TypeError(f"WeasyPrint returned {type(pdf).__name__}, expected bytes")
    return pdf
