"""Host contexts: what the registry knows, by the names workflows declare in ``context:``.

Each provider returns plain data matching ``contexts/<name>.yaml``; the engine type-checks
conditions against that schema at load and a test checks each provider's output against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, select
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
    household = asker.person.household_id if asker.person else None
    # plain columns, one query: this runs on every request that touches a declaration
    found = session.execute(
        select(Campaign.year, Campaign.opens_on, Campaign.closes_on, Campaign.reference_date,
               CampaignRecipient.household_id, CampaignRecipient.children_section)
        .outerjoin(CampaignRecipient, and_(CampaignRecipient.campaign_id == Campaign.id,
                                           CampaignRecipient.household_id == household))
        .where(Campaign.workflow == workflow, Campaign.opens_on <= today)
        .order_by(Campaign.opens_on.desc()).limit(1)).first()
    if found is None:
        return {"open": False, "recipient": False, "children_section": False}
    recipient = found.household_id is not None
    return {"year": found.year, "open": found.closes_on >= today, "recipient": recipient,
            "children_section": bool(recipient and found.children_section),
            "reference_date": found.reference_date.isoformat(),
            "opens_on": found.opens_on.isoformat(), "closes_on": found.closes_on.isoformat()}


@provider("household")
def household(session: Session, asker: Asker, workflow: str, today: date) -> dict[str, Any]:
    person = asker.person
    if person is None or person.household_id is None:
        name = f"{person.first_name} {person.last_name}" if person else asker.account.display_name
        return {"has_spouse": False, "declarant_name": name, "spouse_name": None, "children": 0}
    members = session.execute(select(
        Person.id, Person.household_role, Person.first_name, Person.last_name).where(
        Person.household_id == person.household_id)).all()
    spouse = next((m for m in members if m.household_role == "spouse" and m.id != person.id),
                  None)
    if person.household_role == "spouse":
        spouse = next((m for m in members if m.household_role == "declarant"), None)
    return {"has_spouse": spouse is not None,
            "declarant_name": f"{person.first_name} {person.last_name}",
            "spouse_name": f"{spouse.first_name} {spouse.last_name}" if spouse else None,
            "children": sum(1 for m in members if m.household_role == "child")}
