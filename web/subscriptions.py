"""Online access for a person who has none yet: the registry check of the request, and the
initial-password letter staff issue (reference 002, "Vous souhaitez vous abonner ?").

* ``registry_identity`` (a host check, :mod:`web.host_checks`) on the step that asks for the
  registration number and birth date: the registry must hold a person with **both** (an unknown
  number and a wrong date get the same answer, ``not_eligible``: nothing is revealed), who has
  no account yet (``already_subscribed``). Every look-up counts against the caller's address:
  at most :data:`LOOKUPS_PER_HOUR` an hour (``too_many_attempts``), counted in
  ``login_throttles`` under ``ip:subscription:<address>``, in a transaction of its own (a
  refused step rolls the request's back, the count stays).
* ``initial_password_letter`` (a producer, :mod:`web.producers`), fired by staff: makes the
  member's account (identifier ``registration-ddmmyyyy``, no e-mail, a password to change at
  first login, none usable until the letter is printed) and queues its initial-password letter
  (:func:`web.accounts.letters.queue_initial_password`: the password is made when
  ``flask letters print`` prints it). The request is then the new member's: it shows in their
  requests. A person who has an account meanwhile is refused (nothing saved).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Message
from web.accounts.letters import LetterRefused, queue_initial_password
from web.accounts.subscriptions import own_subscription
from web.db.models import Account, Person
from web.host_checks import CheckInput, host_check
from web.ip_counter import count_in_window
from web.producers import ProduceInput, ProduceRefused, producer
from web.registry.checks import member_identifier
from web.security_log import security_event

__all__ = ["LOOKUPS_PER_HOUR", "issue_initial_password", "lookup_key", "registry_identity"]

LOOKUPS_PER_HOUR = 20
"""How many registry look-ups one address may make in an hour."""
NO_PASSWORD = "!"  # noqa: S105 - no hash matches it: the letter's password is made at printing
ALREADY_SUBSCRIBED = Message(
    "Cette personne a déjà un accès aux services en ligne : aucun compte n'a été créé. Refusez"
    " la demande en indiquant le motif.",
    "This person already has online access: no account was created. Refuse the request and"
    " give the reason.")
UNKNOWN_PERSON = Message(
    "Le registre ne connaît plus de personne avec ce numéro et cette date de naissance : aucun"
    " compte n'a été créé. Refusez la demande en indiquant le motif.",
    "The registry no longer holds a person with this number and birth date: no account was"
    " created. Refuse the request and give the reason.")
NO_ADDRESS = Message(
    "Aucune adresse postale n'est connue pour cette personne : le mot de passe ne peut pas être"
    " envoyé. Rien n'a été enregistré.",
    "No postal address is known for this person: the password cannot be sent. Nothing was"
    " saved.")


def lookup_key(ip: str) -> str:
    return f"ip:subscription:{ip}"[:64]


def find_person(session: Session, registration: object, birth_date: object) -> Person | None:
    """The person with this registration number and birth date (both must match)."""
    try:
        born = date.fromisoformat(str(birth_date))
    except ValueError:
        return None
    return session.scalars(select(Person).where(Person.registration == str(registration),
                                                Person.birth_date == born)).first()


def _count_lookup(session: Session, ip: str, now: datetime) -> int:
    """Count one look-up of this address in its own transaction; how many in the hour."""
    return count_in_window(session, lookup_key(ip), now)


@host_check("registry_identity", codes=("not_eligible", "already_subscribed",
                                        "too_many_attempts"))
def registry_identity(session: Session, given: CheckInput) -> list[str]:
    if _count_lookup(session, given.ip, given.now) > LOOKUPS_PER_HOUR:
        security_event("subscription_lookups_exceeded")
        return ["too_many_attempts"]
    person = find_person(session, given.data.get("registration"), given.data.get("birth_date"))
    if person is None:
        return ["not_eligible"]
    if _account_of(session, person) is not None:
        return ["already_subscribed"]
    return []


def _account_of(session: Session, person: Person) -> Account | None:
    return session.scalars(select(Account).where(Account.person_id == person.id)).first()


@producer("initial_password_letter")
def issue_initial_password(session: Session, given: ProduceInput) -> None:
    params: dict[str, Any] = dict(given.params)
    person = find_person(session, params.get("registration"), params.get("birth_date"))
    if person is None:
        raise ProduceRefused(UNKNOWN_PERSON, status=409)
    if _account_of(session, person) is not None:
        raise ProduceRefused(ALREADY_SUBSCRIBED, status=409)
    account = Account(identifier=member_identifier(person.registration, person.birth_date),
                      kind="member", person_id=person.id,
                      display_name=f"{person.first_name} {person.last_name}",
                      password_hash=NO_PASSWORD, email=None, email_validated=False,
                      must_change_password=True, roles=[])
    session.add(account)
    session.flush()
    own_subscription(session, account, create=True)  # the person's: the account's first
    try:
        queue_initial_password(session, account, given.now)
    except LetterRefused:
        raise ProduceRefused(NO_ADDRESS, status=409) from None
    given.submission.owner_id = account.id  # the member's request from now on
    session.flush()
    security_event("subscription_account_created", account_id=account.id,
                   submission_id=given.submission.id, actor_id=given.actor_id)
