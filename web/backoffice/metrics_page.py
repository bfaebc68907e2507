"""The metrics page of a procedure: statuses, submissions per day, decision time, the funnel.

Figures from :mod:`web.backoffice.metrics`; drawn as tables and CSS bars (no script, no chart
library: each bar's width is a class, ``bar--NN``, rounded to 5 %, so the page CSP's ban on
inline styles holds). Staff of the procedure's service see it, and analysts with the ``admin``
role.
"""

from __future__ import annotations

from flask import render_template

from web.audience import audience
from web.backoffice import bp
from web.backoffice.metrics import procedure_metrics
from web.backoffice.queues import queue_workflow
from web.backoffice.signin import staff_required
from web.current import db, services
from web.i18n import current_language
from web.labels import status_label


def bar(value: int, largest: int) -> int:
    """The bar's width class: 0 to 100 by fives (a non-zero value shows at least 5)."""
    if largest <= 0 or value <= 0:
        return 0
    return max(5, round(value * 20 / largest) * 5)


@bp.get("/queues/<workflow>/metrics")
@audience("staff")
@staff_required
def metrics(workflow: str) -> str:
    wf = queue_workflow(workflow)
    lang = current_language()
    found = procedure_metrics(db(), wf, services().clock.today())
    statuses = [(s, status_label(wf, s, lang), n) for s, n in found.by_status.items()]
    top_status = max((n for _, _, n in statuses), default=0)
    top_day = max((d.submitted for d in found.per_day), default=0)
    top_step = max((f.drafts + f.cancelled for f in found.funnel), default=0)
    steps = {name: step.title.text(lang) for name, step in wf.steps.items()}
    return render_template(
        "backoffice/metrics.html", wf=wf, wf_title=wf.title.text(lang), m=found,
        statuses=[(s, label, n, bar(n, top_status)) for s, label, n in statuses],
        days=[(d.day, d.submitted, bar(d.submitted, top_day)) for d in found.per_day],
        funnel=[(steps.get(f.step, f.step), f, bar(f.drafts + f.cancelled, top_step))
                for f in found.funnel])
