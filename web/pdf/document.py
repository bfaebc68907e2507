"""A procedure's document (``documents:`` in its YAML) as a PDF to download and print, e.g. the
change-of-address form a lifecycle state ``offers``.

Independent of Flask and of the database, like :mod:`web.pdf.receipt`: the text is the
definition's own, escaped by Jinja; each line of the body is kept as written (forms to fill in
by hand use dotted lines), blank lines separate paragraphs. No URL is ever fetched.
"""

from __future__ import annotations

from web.pdf.receipt import FUND_NAME, TEMPLATES, html_to_pdf

__all__ = ["render_document_html", "render_document_pdf"]


def render_document_html(title: str, body: str, procedure: str, lang: str) -> str:
    paragraphs = [block.split("\n") for block in body.strip().split("\n\n") if block.strip()]
    return TEMPLATES.get_template("document.html.j2").render(
        title=title, procedure=procedure, paragraphs=paragraphs, lang=lang, fund_name=FUND_NAME)


def render_document_pdf(title: str, body: str, procedure: str, lang: str) -> bytes:
    """The document as a tagged (PDF/UA-1) A4 PDF."""
    return html_to_pdf(render_document_html(title, body, procedure, lang))
