"""A submission's latest receipt, and the documents its state offers, as PDF downloads, for the
API and the pages alike."""

from __future__ import annotations

from datetime import datetime

from flask import Response

from engine import Message
from web.db.models import Submission
from web.errors import NOT_FOUND, ApiProblem
from web.pdf import Receipt, ReceiptLine, ReceiptSection, render_receipt_pdf
from web.pdf.document import render_document_pdf
from web.pdf.long_receipt import LONG_RECEIPT_LINES, line_count, render_long_receipt_pdf
from web.submissions import Submissions

NO_RECEIPT = Message("Aucun accusé de réception : la démarche n'a pas été transmise.",
                     "No receipt: the procedure has not been submitted.")


def receipt_download(service: Submissions, row: Submission, lang: str) -> Response:
    """The PDF of the last receipt, in ``lang``; 404 ``no_receipt`` when there is none yet."""
    found = service.latest_receipt(row)
    if found is None:
        raise ApiProblem(404, "no_receipt", NO_RECEIPT)
    content = found.content
    receipt = Receipt(
        lang=lang, procedure=content["procedure"][lang], receipt_number=content["number"],
        submitted_at=datetime.fromisoformat(content["submitted_at"]), person=content["person"],
        sections=tuple(ReceiptSection(s["title"], tuple(ReceiptLine(a, b) for a, b in s["lines"]))
                       for s in content["sections"][lang]),
        amended=bool(content["amended"]))
    # WeasyPrint for a few pages; a long one (thousands of lines) by reportlab
    pdf = render_long_receipt_pdf(receipt) if line_count(receipt) > LONG_RECEIPT_LINES \
        else render_receipt_pdf(receipt)
    filename = f"{content['number']}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def offered_download(service: Submissions, row: Submission, name: str, lang: str) -> Response:
    """A document the submission's current state ``offers`` (e.g. the change-of-address form),
    as a PDF in ``lang``; any other document, or in any other state, is not found."""
    wf = service.definition(row)
    if name not in wf.lifecycle.offers.get(row.status, ()):
        raise ApiProblem(404, "not_found", NOT_FOUND)
    found = wf.documents[name]
    pdf = render_document_pdf(found.title.text(lang), found.body.text(lang),
                              wf.title.text(lang), lang)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}.pdf"', "Cache-Control": "no-store"})
