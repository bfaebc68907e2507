"""Checking registry data: every problem at once, schema first, then what a schema cannot say
(duplicate ids and identifiers, references to households and persons, campaign dates, which
kind of account may have what)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.accounts.security_question import answer_problem, question_problem
from web.db.models import Account, Household, Person
from web.registry.loading import RegistryDocument
from web.registry.problems import RegistryProblem, problem, schema_problems

_STAFF_IDENTIFIER = re.compile(r"[a-z][a-z0-9._-]{2,39}")
_SUBSCRIBER_NUMBER = re.compile(r"[0-9]{4,10}")
"""The two forms the schema's identifier pattern allows (keep them in step with schema.json)."""
CHUNK = 500  # ids per IN (...) query: well under SQLite's and PostgreSQL's parameter limits
_WHAT = {"households": ("foyer", "household"), "persons": ("personne", "person"),
         "campaigns": ("campagne", "campaign")}


def items(data: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    """(index, entry) of the section's well-formed entries; the schema reports the others."""
    section = data.get(key)
    if not isinstance(section, list):
        return []
    return [(i, item) for i, item in enumerate(section) if isinstance(item, dict)]


def _text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def member_identifier(registration: str, birth_date: date) -> str:
    """The member's login: registration number, dash, birth date as ddmmyyyy (ref 000, 001)."""
    return f"{registration}-{birth_date:%d%m%Y}"


def _in_database(session: Session | None, column: Any, keys: Iterable[str]) -> set[str]:
    wanted = sorted(set(keys))
    if session is None or not wanted:
        return set()
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        found.update(session.scalars(select(column).where(column.in_(wanted[start:start + CHUNK]))))
    return found


@dataclass
class _Found:
    """Problems as (pointer, code, fields); located and worded at the end."""

    items: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)

    def add(self, pointer: str, code: str, **fields: object) -> None:
        self.items.append((pointer, code, fields))


def check_registry(data: Mapping[str, Any], session: Session | None = None
                   ) -> list[RegistryProblem]:
    """Every problem in ``data``, each with its JSON Pointer, and its line and column when
    ``data`` is a :class:`RegistryDocument` read from YAML (then sorted in file order).

    References (households, persons) must resolve in the file, or in the database when a
    ``session`` is given; only then are existing accounts compared too. Reads, never writes.
    """
    plain = dict(data)
    if isinstance(data, RegistryDocument):
        source, position = data.source, data.position
    else:
        source, position = "<data>", _nowhere
    found = _Found()
    for pointer, code, fields in schema_problems(plain):
        found.add(pointer, code, **fields)
    for key in _WHAT:
        _check_duplicate_ids(found, key, items(plain, key))
    households = {_text(h, "id") for _, h in items(plain, "households")}
    persons = {p["id"]: p for _, p in items(plain, "persons") if _text(p, "id")}
    _check_persons(found, plain, households, session)
    _check_campaigns(found, plain, households, session)
    _check_accounts(found, plain, persons, session)
    from web.registry.employers import check_employer_sections  # it imports this module

    check_employer_sections(found.add, plain, session)
    problems = [problem(source, pointer, code, position(pointer), **fields)
                for pointer, code, fields in found.items]
    # In file order when lines are known (YAML); a stable sort keeps JSON's order as found.
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def _nowhere(pointer: str) -> None:
    return None


def _check_duplicate_ids(found: _Found, key: str, entries: list[tuple[int, dict[str, Any]]]
                         ) -> None:
    first: dict[str, int] = {}
    fr, en = _WHAT[key]
    for i, item in entries:
        ident = _text(item, "id")
        if ident is None:
            continue
        if ident in first:
            found.add(f"/{key}/{i}/id", "duplicate_id", id=ident, first=f"/{key}/{first[ident]}",
                      what_fr=fr, what_en=en)
        else:
            first[ident] = i


def _unknown_households(found: _Found, refs: list[tuple[str, str]], in_file: set[str | None],
                        session: Session | None) -> None:
    outside = {ref for _, ref in refs if ref not in in_file}
    known = _in_database(session, Household.id, outside)
    for pointer, ref in refs:
        if ref in outside and ref not in known:
            found.add(pointer, "unknown_household", id=ref)


def _check_persons(found: _Found, data: Mapping[str, Any], households: set[str | None],
                   session: Session | None) -> None:
    refs: list[tuple[str, str]] = []
    seats: dict[tuple[str, str], str] = {}  # (household, declarant|spouse) -> first pointer
    for i, person in items(data, "persons"):
        household = _text(person, "household")
        if household is None:
            continue
        refs.append((f"/persons/{i}/household", household))
        role = person.get("role", "declarant")
        if role in ("declarant", "spouse"):
            if (household, role) in seats:
                found.add(f"/persons/{i}/role", "household_role_taken", household=household,
                          role=role, first=seats[household, role])
            else:
                seats[household, role] = f"/persons/{i}"
    _unknown_households(found, refs, households, session)


def _check_campaigns(found: _Found, data: Mapping[str, Any], households: set[str | None],
                     session: Session | None) -> None:
    refs: list[tuple[str, str]] = []
    for i, campaign in items(data, "campaigns"):
        opens, closes = _date(campaign.get("opens_on")), _date(campaign.get("closes_on"))
        if opens and closes and closes < opens:
            found.add(f"/campaigns/{i}/closes_on", "campaign_dates", opens=opens.isoformat(),
                      closes=closes.isoformat())
        seen: dict[str, int] = {}
        for j, recipient in items(campaign, "recipients"):
            household = _text(recipient, "household")
            if household is None:
                continue
            pointer = f"/campaigns/{i}/recipients/{j}/household"
            if household in seen:
                found.add(pointer, "duplicate_recipient", id=household,
                          first=f"/campaigns/{i}/recipients/{seen[household]}")
            else:
                seen[household] = j
            refs.append((pointer, household))
    _unknown_households(found, refs, households, session)


def _person_facts(persons: Mapping[str, Mapping[str, Any]], session: Session | None,
                  wanted: set[str]) -> dict[str, tuple[str, date] | None]:
    """person id -> (registration, birth date) from the file, else the database; ``None`` when
    the person is in the file with an invalid registration or birth date (already reported)."""
    facts: dict[str, tuple[str, date] | None] = {}
    for pid in wanted & persons.keys():
        registration = _text(persons[pid], "registration")
        birth = _date(persons[pid].get("birth_date"))
        facts[pid] = (registration, birth) if registration and birth else None
    outside = sorted(wanted - persons.keys())
    if session is None:
        return facts
    for start in range(0, len(outside), CHUNK):
        rows = session.execute(select(Person.id, Person.registration, Person.birth_date)
                               .where(Person.id.in_(outside[start:start + CHUNK])))
        facts.update({pid: (registration, birth) for pid, registration, birth in rows})
    return facts


def _check_accounts(found: _Found, data: Mapping[str, Any],
                    persons: Mapping[str, Mapping[str, Any]], session: Session | None) -> None:
    accounts = items(data, "accounts")
    facts = _person_facts(persons, session,
                          {p for _, a in accounts if (p := _text(a, "person"))}
                          | {p for _, a in accounts for p in _subscriptions(a)})
    first: dict[str, str] = {}  # identifier -> pointer of the account that has it
    claims: dict[str, tuple[str, str, str | None]] = {}  # identifier -> (pointer, kind, person)
    for i, account in accounts:
        at = f"/accounts/{i}"
        person = _text(account, "person")
        kind = "member" if person is not None else _text(account, "kind") or "staff"
        if account.get("email_validated") is True and "email" not in account:
            found.add(f"{at}/email_validated", "validated_without_email")
        _check_security_question(found, at, account, kind)
        _check_subscriptions(found, at, account, person, facts)
        if person is None:
            identifier, pointer = _text(account, "identifier"), f"{at}/identifier"
            if identifier is not None:
                _check_identifier_kind(found, at, identifier, kind, "roles" in account)
        else:
            for extra, code in (("identifier", "member_identifier"), ("roles", "member_roles")):
                if extra in account:
                    found.add(f"{at}/{extra}", code)
            if person not in facts:
                found.add(f"{at}/person", "unknown_person", id=person)
            fact = facts.get(person)
            identifier, pointer = (member_identifier(*fact) if fact else None), f"{at}/person"
        if identifier is None:
            continue
        if identifier in first:
            found.add(pointer, "duplicate_identifier", identifier=identifier,
                      first=first[identifier])
            continue
        first[identifier] = at
        claims[identifier] = (pointer, kind, person)
    if session is not None:
        _check_existing_accounts(found, claims, session)


def _subscriptions(account: Mapping[str, Any]) -> list[str]:
    """The person ids of an account's extra subscriptions (the schema reports other values)."""
    listed = account.get("subscriptions")
    return [p for p in listed if isinstance(p, str)] if isinstance(listed, list) else []


def _check_subscriptions(found: _Found, at: str, account: Mapping[str, Any], person: str | None,
                         facts: Mapping[str, object]) -> None:
    """Members only; each person known, and not the account's own (always its first)."""
    if "subscriptions" not in account:
        return
    if person is None:
        found.add(f"{at}/subscriptions", "subscriptions_member_only")
        return
    for j, listed in enumerate(account["subscriptions"]):
        if not isinstance(listed, str):
            continue
        if listed == person:
            found.add(f"{at}/subscriptions/{j}", "subscription_own_person", id=listed)
        elif listed not in facts:
            found.add(f"{at}/subscriptions/{j}", "unknown_person", id=listed)


def _check_identifier_kind(found: _Found, at: str, identifier: str, kind: str,
                           has_roles: bool) -> None:
    """The schema lets both forms through (and reports any other): a staff identifier starts
    with a letter, an employer's is its subscriber number (digits); only staff have roles."""
    if kind == "employer":
        if _STAFF_IDENTIFIER.fullmatch(identifier):
            found.add(f"{at}/identifier", "employer_identifier", identifier=identifier)
        if has_roles:
            found.add(f"{at}/roles", "employer_roles")
    elif kind == "staff" and _SUBSCRIBER_NUMBER.fullmatch(identifier):
        found.add(f"{at}/identifier", "staff_identifier", identifier=identifier)


def _check_security_question(found: _Found, at: str, account: Mapping[str, Any],
                             kind: str) -> None:
    """Employers only, question and answer together, each as the profile page would take it."""
    given = [key for key in ("security_question", "security_answer") if key in account]
    if not given:
        return
    if kind != "employer":
        for key in given:
            found.add(f"{at}/{key}", "security_question_employer")
        return
    if len(given) == 1:
        missing = "security_answer" if given == ["security_question"] else "security_question"
        found.add(f"{at}/{given[0]}", "security_question_pair", missing=missing)
    question, answer = _text(account, "security_question"), _text(account, "security_answer")
    if question is not None and question_problem(question) is not None:
        found.add(f"{at}/security_question", "security_question_invalid")
    if answer is not None and answer_problem(answer) is not None:
        found.add(f"{at}/security_answer", "security_answer_invalid")


def _check_existing_accounts(found: _Found, claims: Mapping[str, tuple[str, str, str | None]],
                             session: Session) -> None:
    """An existing account is updated only when it is the same kind for the same person."""
    identifiers = sorted(claims)
    for start in range(0, len(identifiers), CHUNK):
        rows = session.execute(select(Account.identifier, Account.kind, Account.person_id)
                               .where(Account.identifier.in_(identifiers[start:start + CHUNK])))
        for identifier, kind, person_id in rows:
            pointer, want_kind, want_person = claims[identifier]
            if (kind, person_id) != (want_kind, want_person):
                found.add(pointer, "identifier_taken", identifier=identifier)
