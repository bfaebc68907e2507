"""A submission's latest receipt as a PDF download, for the API and the pages alike."""

from __future__ import annotations

from datetime import datetime

from flask import Response

from engine import Message
from web.db.models import Submission
from web.errors import ApiProblem
from web.pdf import Receipt, ReceiptLine, ReceiptSection, render_receipt_pdf
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
    pdf = render_receipt_pdf(receipt)
    filename = f"{content['number']}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
