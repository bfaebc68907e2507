"""Host contexts: what the registry knows, by the names workflows declare in ``context:``.

Each provider returns plain data matching ``contexts/<name>.yaml``; the engine type-checks
conditions against that schema at load and a test checks each provider's output against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.db.models import Account, Campaign, CampaignRecipient, Person


@dataclass(frozen=True)
class Asker:
    """Who the context is computed for."""

    account: Account
    person: Person | None


Provider = Callable[[Session, Asker, str, date], dict[str, Any]]
PROVIDERS: dict[str, Provider] = {}


def provider(name: str) -> Callable[[Provider], Provider]:
    def register(fn: Provider) -> Provider:
        if name in PROVIDERS:
            raise ValueError(f"context provider {name!r} registered twice")
        PROVIDERS[name] = fn
        return fn

    return register


def context_values(session: Session, asker: Asker, workflow: str, names: tuple[str, ...],
                   today: date) -> dict[str, Any]:
    return {name: PROVIDERS[name](session, asker, workflow, today) for name in names}


@provider("campaign")
def campaign(session: Session, asker: Asker, workflow: str, today: date) -> dict[str, Any]:
    """The campaign open today for this workflow, else the latest one (to say it is closed)."""
    rows = session.scalars(select(Campaign).where(Campaign.workflow == workflow)
                           .order_by(Campaign.opens_on.desc())).all()
    current = next((c for c in rows if c.opens_on <= today <= c.closes_on), None)
    chosen = current or (rows[0] if rows else None)
    if chosen is None:
        return {"open": False, "recipient": False, "children_section": False}
    recipient = None
    household = asker.person.household_id if asker.person else None
    if household is not None:
        recipient = session.get(CampaignRecipient, (chosen.id, household))
    return {"year": chosen.year, "open": current is not None, "recipient": recipient is not None,
            "children_section": bool(recipient and recipient.children_section),
            "reference_date": chosen.reference_date.isoformat(),
            "opens_on": chosen.opens_on.isoformat(), "closes_on": chosen.closes_on.isoformat()}


@provider("household")
def household(session: Session, asker: Asker, workflow: str, today: date) -> dict[str, Any]:
    person = asker.person
    if person is None or person.household_id is None:
        name = f"{person.first_name} {person.last_name}" if person else asker.account.display_name
        return {"has_spouse": False, "declarant_name": name, "spouse_name": None, "children": 0}
    members = session.scalars(select(Person).where(
        Person.household_id == person.household_id)).all()
    spouse = next((m for m in members if m.household_role == "spouse" and m.id != person.id),
                  None)
    if person.household_role == "spouse":
        spouse = next((m for m in members if m.household_role == "declarant"), None)
    return {"has_spouse": spouse is not None,
            "declarant_name": f"{person.first_name} {person.last_name}",
            "spouse_name": f"{spouse.first_name} {spouse.last_name}" if spouse else None,
            "children": sum(1 for m in members if m.household_role == "child")}
