"""Importing registry data the fund already holds (DESIGN "Runtime"): households with their
address, persons (with their civil status, insurance population and whether documents are
awaited: a field left out of the file is emptied, as the file is the registry's word),
campaigns and their recipients, and ready accounts (password and e-mail) of members, staff and
employers (subscriber number, security question); then the employers, the employer accounts
acting for them, their employees, employment spells and contribution statements
(:mod:`web.registry.employers`).

:func:`import_registry` checks first (:func:`~web.registry.checks.check_registry` against this
database) and writes nothing when a problem is found. Then it upserts by id (households, persons,
campaigns), by (campaign, household) for recipients and by identifier for accounts. It never
deletes, never commits (the caller owns the transaction), hashes passwords and security answers
with argon2id, and importing the same file twice creates and updates nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.accounts.security_question import answer_matches, clean_question, hash_answer
from web.db.models import Account, Campaign, CampaignRecipient, Household, Person, Subscription
from web.passwords import Passwords
from web.registry.checks import CHUNK, check_registry, items, member_identifier
from web.registry.employers import import_employer_sections
from web.registry.problems import RegistryError


@dataclass
class Counts:
    """Rows of one kind the import created, updated, or found already as in the file."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportSummary:
    """What an import did, per kind of record."""

    households: Counts = field(default_factory=Counts)
    persons: Counts = field(default_factory=Counts)
    campaigns: Counts = field(default_factory=Counts)
    recipients: Counts = field(default_factory=Counts)
    accounts: Counts = field(default_factory=Counts)
    employers: Counts = field(default_factory=Counts)
    clients: Counts = field(default_factory=Counts)
    employees: Counts = field(default_factory=Counts)
    employments: Counts = field(default_factory=Counts)
    statements: Counts = field(default_factory=Counts)

    KINDS: ClassVar[tuple[str, ...]] = ("households", "persons", "campaigns", "recipients",
                                        "accounts", "employers", "clients", "employees",
                                        "employments", "statements")

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {kind: vars(getattr(self, kind)).copy() for kind in self.KINDS}

    @property
    def created(self) -> int:
        return sum(getattr(self, kind).created for kind in self.KINDS)

    @property
    def updated(self) -> int:
        return sum(getattr(self, kind).updated for kind in self.KINDS)

    def as_text(self, lang: str = "fr") -> str:
        words = (("créés", "modifiés", "inchangés") if lang != "en"
                 else ("created", "updated", "unchanged"))
        return "\n".join(f"{kind}: {c.created} {words[0]}, {c.updated} {words[1]}, "
                         f"{c.unchanged} {words[2]}"
                         for kind in self.KINDS for c in [getattr(self, kind)])


def import_registry(session: Session, data: Mapping[str, Any], passwords: Passwords
                    ) -> ImportSummary:
    """Check ``data`` then upsert it in ``session``'s transaction (flushed, never committed).

    Raises :class:`RegistryError` with every problem, before writing anything, when the data
    does not pass :func:`check_registry` against this database.
    """
    problems = check_registry(data, session)
    if problems:
        raise RegistryError(problems)
    summary = ImportSummary()
    households = [h for _, h in items(data, "households")]
    rows = _existing(session, Household.id, [h["id"] for h in households])
    for h in households:
        address = {**h["address"], "country": h["address"].get("country", "MC")}
        _upsert(session, Household, rows.get(h["id"]), summary.households, id=h["id"],
                address=address)
    session.flush()  # households before the persons and recipients that point at them
    people = _import_persons(session, [p for _, p in items(data, "persons")], summary.persons)
    _import_campaigns(session, [c for _, c in items(data, "campaigns")], summary)
    session.flush()
    _import_accounts(session, [a for _, a in items(data, "accounts")], people, passwords,
                     summary.accounts)
    session.flush()
    import_employer_sections(session, data, summary)  # after the accounts they name
    session.flush()
    return summary


def _existing(session: Session, column: Any, keys: Sequence[str]) -> dict[Any, Any]:
    """The rows whose ``column`` is in ``keys``, by key, in a few queries. The dict also keeps
    them alive: the session's identity map holds unmodified rows only weakly."""
    wanted = sorted(set(keys))
    model = column.class_
    found: dict[Any, Any] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.scalars(select(model).where(column.in_(wanted[start:start + CHUNK])))
        found.update((getattr(row, column.key), row) for row in rows)
    return found


def _assign(row: object, values: Mapping[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _upsert(session: Session, model: type[Any], row: Any, counts: Counts, **values: Any) -> Any:
    """Create the row, or update ``row`` in place; count which it was. Returns the row."""
    if row is None:
        row = model(**values)
        session.add(row)
        counts.created += 1
    elif _assign(row, values):
        counts.updated += 1
    else:
        counts.unchanged += 1
    return row


def _import_persons(session: Session, persons: list[dict[str, Any]], counts: Counts
                    ) -> dict[str, Person]:
    rows = _existing(session, Person.id, [p["id"] for p in persons])
    for p in persons:
        rows[p["id"]] = _upsert(
            session, Person, rows.get(p["id"]), counts, id=p["id"],
            registration=p["registration"], birth_date=date.fromisoformat(p["birth_date"]),
            first_name=p["first_name"], last_name=p["last_name"],
            household_id=p.get("household"), household_role=p.get("role", "declarant"),
            sex=p.get("sex"), birth_place=p.get("birth_place"),
            nationality=p.get("nationality"), marital_status=p.get("marital_status"),
            population=p.get("population"),
            awaiting_documents=p.get("awaiting_documents", False))
    return rows


def _import_campaigns(session: Session, campaigns: list[dict[str, Any]],
                      summary: ImportSummary) -> None:
    ids = [c["id"] for c in campaigns]
    rows = _existing(session, Campaign.id, ids)
    for c in campaigns:
        _upsert(session, Campaign, rows.get(c["id"]), summary.campaigns, id=c["id"],
                workflow=c["workflow"], year=int(c["year"]),
                opens_on=date.fromisoformat(c["opens_on"]),
                closes_on=date.fromisoformat(c["closes_on"]),
                reference_date=date.fromisoformat(c["reference_date"]))
    session.flush()  # campaigns before their recipients
    recipients: dict[tuple[str, str], CampaignRecipient] = {}
    for start in range(0, len(ids), CHUNK):
        recipients.update(((r.campaign_id, r.household_id), r) for r in session.scalars(
            select(CampaignRecipient).where(
                CampaignRecipient.campaign_id.in_(ids[start:start + CHUNK]))))
    for c in campaigns:
        for r in c.get("recipients", []):
            _upsert(session, CampaignRecipient, recipients.get((c["id"], r["household"])),
                    summary.recipients, campaign_id=c["id"], household_id=r["household"],
                    children_section=r.get("children_section", False))


def _account_values(a: Mapping[str, Any], person: Person | None) -> dict[str, Any]:
    """The account's columns (all but the password and the security answer); defaults are the
    safe ones: e-mail not validated, password to change at first login (AUTH-06). A security
    question absent from the file is left as the employer set it."""
    if person is None:
        identifier, kind, display_name = a["identifier"], a["kind"], a["identifier"]
    else:
        identifier = member_identifier(person.registration, person.birth_date)
        kind, display_name = "member", f"{person.first_name} {person.last_name}"
    return {"identifier": identifier, "kind": kind,
            "person_id": None if person is None else person.id,
            "display_name": a.get("display_name", display_name),
            "roles": list(a.get("roles", [])), "email": a.get("email"),
            "email_validated": a.get("email_validated", False),
            "must_change_password": a.get("must_change_password", True),
            **({"security_question": clean_question(a["security_question"])}
               if "security_question" in a else {})}


def _import_accounts(session: Session, accounts: list[dict[str, Any]],
                     people: Mapping[str, Person], passwords: Passwords, counts: Counts) -> None:
    planned = [(a, _account_values(a, None if "person" not in a else
                                   people.get(a["person"]) or session.get(Person, a["person"])))
               for a in accounts]
    rows = _existing(session, Account.identifier, [v["identifier"] for _, v in planned])
    held = _held_subscriptions(session, [row.id for row in rows.values()])
    members: list[tuple[Account, Mapping[str, Any]]] = []
    for a, values in planned:
        row = rows.get(values["identifier"])
        answer = a.get("security_answer")
        if row is None:  # secrets are hashed only when they change: argon2 is slow on purpose
            if answer is not None:
                values["security_answer_hash"] = hash_answer(passwords, answer)
            members.append((_upsert(session, Account, None, counts,
                                    password_hash=passwords.hash(a["password"]), **values), a))
            continue
        members.append((row, a))
        changed = _assign(row, values)
        changed = bool(set(a.get("subscriptions", [])) - held.get(row.id, set())) or changed
        if (not passwords.verify(row.password_hash, a["password"])
                or passwords.needs_rehash(row.password_hash)):
            row.password_hash = passwords.hash(a["password"])
            changed = True
        if answer is not None and not answer_matches(passwords, row.security_answer_hash,
                                                     answer):
            row.security_answer_hash = hash_answer(passwords, answer)
            changed = True
        if changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()  # the accounts before their subscriptions
    for row, entry in members:
        if row.kind == "member" and row.person_id is not None:
            have = held.setdefault(row.id, set())
            for person_id in [row.person_id, *entry.get("subscriptions", [])]:
                if person_id not in have:
                    session.add(Subscription(account_id=row.id, person_id=person_id))
                    have.add(person_id)


def _held_subscriptions(session: Session, account_ids: Sequence[str]) -> dict[str, set[str]]:
    """account id -> the person ids of the subscriptions it holds. An import adds the missing
    ones (the account's own person first, then those of its entry), never removes one."""
    wanted = sorted(set(account_ids))
    held: dict[str, set[str]] = {}
    for start in range(0, len(wanted), CHUNK):
        for account_id, person_id in session.execute(
                select(Subscription.account_id, Subscription.person_id)
                .where(Subscription.account_id.in_(wanted[start:start + CHUNK]))):
            held.setdefault(account_id, set()).add(person_id)
    return held
