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

from web import declarations, employers
from web.accounts.letters import address_lines
from web.db.models import Account, Campaign, CampaignRecipient, Employer, Household, Person


@dataclass(frozen=True)
class Asker:
    """Who the context is computed for."""

    account: Account | None
    """None for a visitor (a ``public`` procedure): no account, no person."""
    person: Person | None
    subject: str | None = None
    """What the submission is about, when its workflow has a ``subject`` (a client's id)."""


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
        name = f"{person.first_name} {person.last_name}" if person else \
            (asker.account.display_name if asker.account else "")
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


PEOPLE_ORDER = {"member": 0, "spouse": 1, "child": 2}


@provider("member")
def member(session: Session, asker: Asker, workflow: str, today: date) -> dict[str, Any]:
    """The member's insurance population, the household's postal address (as letters print
    it), whether documents are awaited, and the people whose data the member may see: the
    member first, then their spouse (for a spouse's account: the declarant), then the children,
    eldest first. A child's account, or a person without a household, sees only themself."""
    return member_data(session, asker.person)


def member_data(session: Session, person: Person | None) -> dict[str, Any]:
    """The ``member`` context of ``person`` (plain data, see contexts/member.yaml); also what
    the personal data pages read (``people`` is who they may show)."""


    if person is None:
        return {"population": None, "postal_address": [], "awaiting_documents": False,
                "people": []}
    people = [{"id": person.id, "role": "member",
               "name": f"{person.first_name} {person.last_name}"}]
    address: list[str] = []
    if person.household_id is not None:
        found = session.get(Household, person.household_id)
        address = list(address_lines(found.address)) if found is not None else []
        if person.household_role in ("declarant", "spouse"):
            partner = "spouse" if person.household_role == "declarant" else "declarant"
            others = session.execute(
                select(Person.id, Person.household_role, Person.first_name, Person.last_name)
                .where(Person.household_id == person.household_id, Person.id != person.id,
                       Person.household_role.in_((partner, "child")))
                .order_by(Person.birth_date, Person.id)).all()
            people += [{"id": other.id,
                        "role": "spouse" if other.household_role == partner else "child",
                        "name": f"{other.first_name} {other.last_name}"} for other in others]
            people.sort(key=lambda p: PEOPLE_ORDER[p["role"]])  # stable: children by age
    return {"population": person.population, "postal_address": address,
            "awaiting_documents": bool(person.awaiting_documents), "people": people}


@provider("client")
def client(session: Session, asker: Asker, workflow: str, today: date) -> dict[str, Any]:
    """The client a declaration is about (the submission's subject): its number and name, the
    periods already declared for it with this workflow, its first period and the ids of its
    known workforce (see contexts/client.yaml). Without a subject: an empty client."""
    found = session.get(Employer, asker.subject) if asker.subject else None
    if found is None:
        return {"id": "", "number": "", "name": "", "active": False, "declared_periods": [],
                "first_period": None, "workforce_ids": []}
    declared = declarations.declared(session, workflow, [found.id])[found.id]
    return {"id": found.id, "number": found.number, "name": found.name,
            "active": bool(found.active), "declared_periods": sorted(declared),
            "first_period": employers.first_period(session, found.id),
            "workforce_ids": employers.known_employee_ids(session, found.id)}
