"""The subscriptions an account holds (ref 002 "Profil abonné": "Si vous avez plusieurs
abonnements (ex : du fait de votre activité salariée et de votre statut de conjoint), vous
pouvez naviguer dans le domaine de « Mon profil » selon les matricules proposés dans la liste
déroulante").

A subscription is an insured person under whose registration number the fund's documents are
addressed. A member account's own person is always its first subscription; the registry may
give it others (``subscriptions`` of an account entry, web/registry/importer.py). Employers and
staff hold none: an employer's mail options are the account's own (``subscription_id`` null).

Reading never writes: the first subscription's row is created when something is saved for it
(:func:`own_subscription` with ``create``), by the registry import, or when the account is
opened (web/subscriptions.py). As elsewhere in :mod:`web.accounts`, nothing here commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.db.models import Account, Person, Subscription


def own_subscription(session: Session, account: Account, create: bool = False
                     ) -> Subscription | None:
    """The account's first subscription (its own person's); None for an account without a
    person, or when the row does not exist yet and ``create`` is false."""
    if account.kind != "member" or account.person_id is None:
        return None
    found = session.scalars(select(Subscription).where(
        Subscription.account_id == account.id,
        Subscription.person_id == account.person_id)).first()
    if found is None and create:
        found = Subscription(account_id=account.id, person_id=account.person_id)
        session.add(found)
        session.flush()
    return found


def subscriptions(session: Session, account: Account) -> list[Subscription]:
    """The account's subscriptions, its own first, then the others by registration number (an
    empty list for an account without a person). The first may be an unsaved row (no id yet)
    while nothing was ever saved for it."""
    if account.kind != "member" or account.person_id is None:
        return []
    rows = session.execute(select(Subscription, Person.registration).join(
        Person, Person.id == Subscription.person_id).where(
        Subscription.account_id == account.id)).all()
    own = [row.Subscription for row in rows if row.Subscription.person_id == account.person_id]
    others = sorted((row for row in rows if row.Subscription.person_id != account.person_id),
                    key=lambda row: (row.registration, row.Subscription.person_id))
    first = own[0] if own else Subscription(account_id=account.id, person_id=account.person_id)
    return [first, *(row.Subscription for row in others)]


def subscription_of(session: Session, account: Account, subscription_id: str
                    ) -> Subscription | None:
    """The subscription of that id if the account holds it, else None (another account's, or
    no such subscription: the pages answer 404)."""
    found = session.get(Subscription, subscription_id)
    if found is None or found.account_id != account.id:
        return None
    return found


def subscription_for_person(session: Session, account: Account, person_id: str | None
                            ) -> Subscription | None:
    """The account's subscription under that person, None when it holds none (the caller then
    falls back on the first subscription)."""
    if person_id is None:
        return None
    return session.scalars(select(Subscription).where(
        Subscription.account_id == account.id, Subscription.person_id == person_id)).first()


def is_first(account: Account, subscription: Subscription | None) -> bool:
    """Whether ``subscription`` is the account's first (None stands for the first)."""
    return subscription is None or subscription.person_id == account.person_id


def with_persons(session: Session, held: list[Subscription]) -> list[tuple[Subscription, Person]]:
    """Each subscription with its person (for the registration number and name shown)."""
    people = {p.id: p for p in session.scalars(select(Person).where(
        Person.id.in_([s.person_id for s in held])))} if held else {}
    return [(s, people[s.person_id]) for s in held if s.person_id in people]
