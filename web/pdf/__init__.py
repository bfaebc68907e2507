"""PDF documents of the online services (WeasyPrint is imported lazily, on render)."""

from web.pdf.letter import (
    PostalLetter,
    format_letter_date,
    render_letters_html,
    render_letters_pdf,
)
from web.pdf.receipt import (
    Receipt,
    ReceiptLine,
    ReceiptSection,
    RemoteFetchRefusedError,
    make_url_fetcher,
    refuse_url_fetch,
    render_receipt_html,
    render_receipt_pdf,
)

__all__ = [
    "PostalLetter",
    "Receipt",
    "ReceiptLine",
    "ReceiptSection",
    "RemoteFetchRefusedError",
    "format_letter_date",
    "make_url_fetcher",
    "refuse_url_fetch",
    "render_letters_html",
    "render_letters_pdf",
    "render_receipt_html",
    "render_receipt_pdf",
]
