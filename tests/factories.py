"""Test data named after what it is for, built with the real models (no mocks)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from flask import Flask
from sqlalchemy import select

from web.accounts import totp
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


@dataclass(frozen=True)
class Staff(Member):
    totp_secret: str | None = None
    """The authenticator's secret (None: not enrolled yet): :func:`totp_code` gives codes."""


def staff(app: Flask, roles: tuple[str, ...] = ("immatriculation",), *,
          enrolled: bool = True) -> Staff:
    """A staff account with its authenticator enrolled (a TOTP secret), unless ``enrolled`` is
    False (its first back-office login enrols one)."""
    services = app.extensions["csm"]
    n = next(_ids)
    secret = totp.new_secret() if enrolled else None
    with services.sessions.begin() as s:
        account = Account(identifier=f"agent{n}", kind="staff", display_name=f"Agent {n}",
                          password_hash=services.passwords.hash(PASSWORD), email_validated=True,
                          roles=list(roles), totp_secret=secret)
        s.add(account)
        s.flush()
        return Staff(account.identifier, PASSWORD, account.id, "", secret)


def totp_code(app: Flask, secret: str | Staff, steps: int = 0) -> str:
    """The code an authenticator app shows at the app's clock's time (``steps``: that many
    30-second steps later, or earlier when negative)."""
    key = secret.totp_secret if isinstance(secret, Staff) else secret
    assert key, "this staff account has no authenticator"
    return totp.code_at(key, app.extensions["csm"].clock.now(), steps)


def fresh_code(app: Flask, identifier: str) -> str | None:
    """For an enrolled staff account, a code its next login accepts: the current step's, or
    the next step's (within the allowed drift) when the current one was used already; None for
    any other account. Logging the same staff member in three times within 30 seconds needs
    the clock moved on (``clock.advance``)."""
    services = app.extensions["csm"]
    with services.sessions() as s:
        account = s.scalars(select(Account).where(Account.identifier == identifier)).first()
    if account is None or account.kind != "staff" or account.totp_secret is None:
        return None
    now = services.clock.now()
    for steps in range(totp.DRIFT + 1):
        if account.totp_last_step is None or totp.step_at(now) + steps > account.totp_last_step:
            return totp.code_at(account.totp_secret, now, steps)
    raise AssertionError(f"{identifier}: every code of the next 30 s was used; advance the clock")


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
