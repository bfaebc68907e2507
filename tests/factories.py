"""Test data named after what it is for, built with the real models (no mocks)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from flask import Flask

from web.accounts.security_question import hash_answer
from web.db.models import Account, Campaign, CampaignRecipient, Household, Person

_ids = itertools.count(1)
PASSWORD = "Moulins7"


@dataclass(frozen=True)
class Member:
    identifier: str
    password: str
    account_id: str
    household_id: str


def member(app: Flask, *, spouse: bool = False, children: int = 0, recipient: bool = True,
           children_section: bool = False, campaign_open: bool = True,
           birth: date = date(1960, 5, 12), email: str | None = "",
           email_validated: bool = True, must_change_password: bool = False) -> Member:
    """A member of a household, with an account, and the current resource campaign."""
    services = app.extensions["csm"]
    n = next(_ids)
    with services.sessions.begin() as s:
        household = Household(id=f"H{n}", address={"lines": ["1 rue Grimaldi"],
                                                   "postcode": "98000", "city": "Monaco"})
        s.add(household)
        registration = f"{100000 + n}"
        person = Person(id=f"P{n}", registration=registration, birth_date=birth,
                        first_name="Alain", last_name=f"Dupont{n}", household_id=household.id,
                        household_role="declarant")
        s.add(person)
        if spouse:
            s.add(Person(id=f"P{n}s", registration=f"{200000 + n}", birth_date=date(1962, 1, 2),
                         first_name="Claire", last_name=f"Dupont{n}", household_id=household.id,
                         household_role="spouse"))
        for i in range(children):
            s.add(Person(id=f"P{n}c{i}", registration=f"{300000 + n * 10 + i}",
                         birth_date=date(2010 + i, 3, 1), first_name=f"Enfant{i}",
                         last_name=f"Dupont{n}", household_id=household.id,
                         household_role="child"))
        campaign_id = "RD-OPEN" if campaign_open else "RD-CLOSED"
        if s.get(Campaign, campaign_id) is None:
            opens, closes = ((date(2026, 11, 1), date(2027, 2, 28)) if campaign_open
                             else (date(2025, 11, 1), date(2026, 2, 28)))
            s.add(Campaign(id=campaign_id, workflow="resource_declaration", year=opens.year - 1,
                           opens_on=opens, closes_on=closes,
                           reference_date=date(opens.year, 1, 1)))
            s.flush()
        if recipient:
            s.add(CampaignRecipient(campaign_id=campaign_id, household_id=household.id,
                                    children_section=children_section))
        identifier = f"{registration}-{birth:%d%m%Y}"
        account = Account(identifier=identifier, kind="member", person_id=person.id,
                          password_hash=services.passwords.hash(PASSWORD),
                          email=f"m{n}@example.mc" if email == "" else email,
                          email_validated=email_validated,
                          must_change_password=must_change_password, roles=[])
        s.add(account)
        s.flush()
        return Member(identifier, PASSWORD, account.id, household.id)


def staff(app: Flask, roles: tuple[str, ...] = ("immatriculation",)) -> Member:
    services = app.extensions["csm"]
    n = next(_ids)
    with services.sessions.begin() as s:
        account = Account(identifier=f"agent{n}", kind="staff", display_name=f"Agent {n}",
                          password_hash=services.passwords.hash(PASSWORD), email_validated=True,
                          roles=list(roles))
        s.add(account)
        s.flush()
        return Member(account.identifier, PASSWORD, account.id, "")


def employer(app: Flask, *, name: str = "Boulangerie du Rocher", email: str | None = "",
             email_validated: bool = True, must_change_password: bool = False,
             security_question: str | None = None, security_answer: str | None = None
             ) -> Member:
    """An employer or accounting firm (ref 004): its identifier is its subscriber number."""
    services = app.extensions["csm"]
    n = next(_ids)
    with services.sessions.begin() as s:
        account = Account(identifier=f"{300000 + n}", kind="employer", display_name=name,
                          password_hash=services.passwords.hash(PASSWORD),
                          email=f"e{n}@example.mc" if email == "" else email,
                          email_validated=email_validated,
                          must_change_password=must_change_password, roles=[],
                          security_question=security_question,
                          security_answer_hash=None if security_answer is None else
                          hash_answer(services.passwords, security_answer))
        s.add(account)
        s.flush()
        return Member(account.identifier, PASSWORD, account.id, "")
