"""A declaration in the demo, so that the employer's history is not empty: the bakery (employer
300125, its own single client EMP-0001) declared the period before the current one, and the
Service Recouvrement (agent.recouv) recorded a corrective declaration on it. Made through the
service exactly as the pages make them (the engine checks every answer); skipped when that
period is declared already, so running the demo twice makes one. Never in production.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import SubmissionState
from engine import runtime as engine
from rules.periods import current_period, shift
from web.db.models import Account
from web.declarations import declared, periodic
from web.services import Services
from web.submissions import Submissions, actor_for

EMPLOYER, CLIENT, AGENT = "300125", "EMP-0001", "agent.recouv"


def _lines(prefilled: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The workforce's lines with plausible amounts."""
    return [{**line, "gross": f"{2100 + 150 * i}.00", "hours": 151.67}
            for i, line in enumerate(prefilled)]


def seed_declaration(services: Services) -> str | None:
    """Declare the previous period for the demo bakery and correct it; its receipt number,
    or None when there was nothing to do (already declared, or no such accounts)."""
    workflows = periodic(services.catalog, "client")
    if not workflows or services.settings.environment == "production":
        return None
    wf = workflows[0]
    period = shift(current_period(services.clock.today()), -1)
    with services.sessions.begin() as session:
        owner = session.scalars(select(Account).where(Account.identifier == EMPLOYER)).first()
        agent = session.scalars(select(Account).where(Account.identifier == AGENT)).first()
        if owner is None or agent is None or period in declared(session, wf.id,
                                                                [CLIENT])[CLIENT]:
            return None
        service = Submissions(session, services.catalog, services.clock)
        me = actor_for(session, owner)
        row, _created = service.create(me, wf.id, None, subject=CLIENT)
        service.act(me, row, lambda w, s, c: engine.answer(w, s, "period", {"period": period},
                                                            c))
        state = SubmissionState.from_json(row.state)
        lines = _lines(service.prefill(row, wf, state, "employees").get("employees", []))
        if not lines:
            return None
        service.act(me, row, lambda w, s, c: engine.answer(w, s, "employees",
                                                            {"employees": lines}, c))
        service.act(me, row, lambda w, s, c: engine.submit(w, s, c), fresh=True)
        staff = actor_for(session, agent)
        first = lines[0]
        correction = {"kind": "corrective", "reason": "Prime exceptionnelle omise.",
                      "lines": [{"last_name": first["last_name"],
                                 "first_name": first["first_name"],
                                 "gross": f"{float(first['gross']) + 300:.2f}",
                                 "hours": first["hours"]}]}
        service.act(staff, row, lambda w, s, c: engine.staff_transition(
            w, s, "record_correction", staff.roles, data=correction,
            on=services.clock.today()))
        return row.receipt_number
