"""PDF documents of the online services (WeasyPrint is imported lazily, on render)."""

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
    "Receipt",
    "ReceiptLine",
    "ReceiptSection",
    "RemoteFetchRefusedError",
    "make_url_fetcher",
    "refuse_url_fetch",
    "render_receipt_html",
    "render_receipt_pdf",
]
