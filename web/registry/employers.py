"""The employer sections of a registry file (ref 004): employers, which employer accounts act for
which employers (``employer_clients``), employees, employment spells and contribution
statements.

:func:`check_employer_sections` adds to the registry check what the schema cannot say
(duplicates, references to employers, employees and employer accounts in the file or the
database, spell dates, a statement's total). :func:`import_employer_sections` upserts them after
the accounts, new rows by bulk INSERT (an employer of 5,000 employees imports in a second or
two), existing ones updated in place; nothing is ever deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from web.db.models import (
    Account,
    ContributionStatement,
    Employee,
    Employer,
    EmployerClient,
    Employment,
)
from web.registry.checks import CHUNK, _date, _in_database, _text, items

if TYPE_CHECKING:
    from web.registry.importer import Counts, ImportSummary

Add = Callable[..., None]
"""``add(pointer, code, **fields)``: one problem found."""

SECTIONS = ("employers", "employer_clients", "employees", "employments",
            "contribution_statements")
_WHAT = {"employers": ("employeur", "employer"), "employees": ("salarié", "employee"),
         "contribution_statements": ("relevé de cotisations", "contribution statement")}


def cents(amount: str) -> int:
    """``"1234.56"`` -> 123456 (the schema's amount pattern: two decimals, in quotes)."""
    return int(Decimal(amount) * 100)


def _amount(value: Any) -> int | None:
    try:
        return cents(value) if isinstance(value, str) else None
    except ArithmeticError:
        return None


# -- checks ---------------------------------------------------------------------------------------


def check_employer_sections(add: Add, data: Mapping[str, Any], session: Session | None) -> None:
    for key in _WHAT:
        _duplicate_ids(add, key, items(data, key))
    employers = {i: _text(e, "id") for i, e in items(data, "employers")}
    _check_numbers(add, data, session)
    known_employers = _Resolver(session, Employer.id, {e for e in employers.values() if e})
    known_employees = _Resolver(session, Employee.id,
                                {e for _, x in items(data, "employees") if (e := _text(x, "id"))})
    _check_clients(add, data, session, known_employers)
    _check_employments(add, data, known_employers, known_employees)
    _check_statements(add, data, session, known_employers)
    known_employers.report(add, "unknown_employer")
    known_employees.report(add, "unknown_employee")


class _Resolver:
    """References to check against the file's ids, then the database's, in a few queries."""

    def __init__(self, session: Session | None, column: Any, in_file: set[str]) -> None:
        self.session, self.column, self.in_file = session, column, in_file
        self.refs: list[tuple[str, str]] = []

    def ref(self, pointer: str, value: str | None) -> None:
        if value is not None:
            self.refs.append((pointer, value))

    def report(self, add: Add, code: str) -> None:
        outside = {value for _, value in self.refs if value not in self.in_file}
        known = _in_database(self.session, self.column, outside)
        for pointer, value in self.refs:
            if value in outside and value not in known:
                add(pointer, code, id=value)


def _duplicate_ids(add: Add, key: str, entries: Iterable[tuple[int, dict[str, Any]]]) -> None:
    first: dict[str, int] = {}
    fr, en = _WHAT[key]
    for i, item in entries:
        ident = _text(item, "id")
        if ident is None:
            continue
        if ident in first:
            add(f"/{key}/{i}/id", "duplicate_id", id=ident, first=f"/{key}/{first[ident]}",
                what_fr=fr, what_en=en)
        else:
            first[ident] = i


def _check_numbers(add: Add, data: Mapping[str, Any], session: Session | None) -> None:
    """An employer number belongs to one employer, in the file and in the database."""
    first: dict[str, tuple[int, str | None]] = {}
    for i, employer in items(data, "employers"):
        number = _text(employer, "number")
        if number is None:
            continue
        if number in first:
            add(f"/employers/{i}/number", "duplicate_employer_number", number=number,
                first=f"/employers/{first[number][0]}")
        else:
            first[number] = (i, _text(employer, "id"))
    if session is None or not first:
        return
    numbers = sorted(first)
    for start in range(0, len(numbers), CHUNK):
        rows = session.execute(select(Employer.number, Employer.id).where(
            Employer.number.in_(numbers[start:start + CHUNK])))
        for number, employer_id in rows:
            i, wanted = first[number]
            if wanted != employer_id:
                add(f"/employers/{i}/number", "employer_number_taken", number=number,
                    id=employer_id)


def _check_clients(add: Add, data: Mapping[str, Any], session: Session | None,
                   employers: _Resolver) -> None:
    kinds = {identifier: (_text(a, "kind") or "staff")
             for _, a in items(data, "accounts")
             if (identifier := _text(a, "identifier")) and "person" not in a}
    seen: dict[str, int] = {}
    refs: list[tuple[str, str]] = []
    for i, client in items(data, "employer_clients"):
        account = _text(client, "account")
        if account is not None:
            if account in seen:
                add(f"/employer_clients/{i}/account", "duplicate_client_account",
                    identifier=account, first=f"/employer_clients/{seen[account]}")
            else:
                seen[account] = i
                refs.append((f"/employer_clients/{i}/account", account))
        employer_ids = client.get("employers")
        for j, employer_id in enumerate(employer_ids if isinstance(employer_ids, list) else []):
            employers.ref(f"/employer_clients/{i}/employers/{j}",
                          employer_id if isinstance(employer_id, str) else None)
    outside = sorted({a for _, a in refs if a not in kinds})
    if session is not None:
        for start in range(0, len(outside), CHUNK):
            kinds.update((identifier, kind) for identifier, kind in session.execute(
                select(Account.identifier, Account.kind).where(
                    Account.identifier.in_(outside[start:start + CHUNK]))))
    for pointer, account in refs:
        if kinds.get(account) != "employer":
            add(pointer, "unknown_employer_account", identifier=account)


def _check_employments(add: Add, data: Mapping[str, Any], employers: _Resolver,
                       employees: _Resolver) -> None:
    first: dict[tuple[str, str, str], int] = {}
    for i, spell in items(data, "employments"):
        at = f"/employments/{i}"
        employer, employee = _text(spell, "employer"), _text(spell, "employee")
        employers.ref(f"{at}/employer", employer)
        employees.ref(f"{at}/employee", employee)
        start, end = _date(spell.get("start")), _date(spell.get("end"))
        if start and end and end < start:
            add(f"{at}/end", "employment_dates", start=start.isoformat(), end=end.isoformat())
        if employer and employee and start:
            key = (employer, employee, start.isoformat())
            if key in first:
                add(f"{at}/start", "duplicate_employment", employee=employee,
                    employer=employer, start=key[2], first=f"/employments/{first[key]}")
            else:
                first[key] = i


def _check_statements(add: Add, data: Mapping[str, Any], session: Session | None,
                      employers: _Resolver) -> None:
    first: dict[tuple[str, str], tuple[int, str | None]] = {}
    for i, statement in items(data, "contribution_statements"):
        at = f"/contribution_statements/{i}"
        employer, period = _text(statement, "employer"), _text(statement, "period")
        employers.ref(f"{at}/employer", employer)
        lines = [_amount(line.get("amount")) for _, line in items(statement, "lines")]
        total = _amount(statement.get("total"))
        if total is not None and lines and None not in lines:
            added = sum(line for line in lines if line is not None)
            if added != total:
                add(f"{at}/total", "statement_total", total=_euros(total), sum=_euros(added))
        if employer and period:
            if (employer, period) in first:
                add(f"{at}/period", "duplicate_statement_period", employer=employer,
                    period=period, first=f"/contribution_statements/"
                                         f"{first[employer, period][0]}")
            else:
                first[employer, period] = (i, _text(statement, "id"))
    if session is None or not first:
        return
    wanted = sorted({employer for employer, _ in first})
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(select(ContributionStatement.employer_id,
                                      ContributionStatement.period, ContributionStatement.id)
                               .where(ContributionStatement.employer_id.in_(
                                   wanted[start:start + CHUNK])))
        for employer, period, statement_id in rows:
            found = first.get((employer, period))
            if found is not None and found[1] != statement_id:
                add(f"/contribution_statements/{found[0]}/period", "statement_period_taken",
                    employer=employer, period=period, id=statement_id)


def _euros(amount_cents: int) -> str:
    sign = "-" if amount_cents < 0 else ""
    return f"{sign}{abs(amount_cents) // 100}.{abs(amount_cents) % 100:02d}"


# -- import ---------------------------------------------------------------------------------------


def import_employer_sections(session: Session, data: Mapping[str, Any],
                             summary: ImportSummary) -> None:
    """Upsert the employer sections (already checked); flushed, never committed."""
    employers = [e for _, e in items(data, "employers")]
    _bulk_upsert(session, Employer, ("id",), [{
        "id": e["id"], "number": e["number"], "name": e["name"],
        "address": {**e["address"], "country": e["address"].get("country", "MC")},
        "active": e.get("active", True), "direct_debit": e.get("direct_debit", False)}
        for e in employers], summary.employers)
    _bulk_upsert(session, Employee, ("id",), [{
        "id": e["id"], "registration": e["registration"], "last_name": e["last_name"],
        "first_name": e["first_name"], "birth_date": date.fromisoformat(e["birth_date"])}
        for _, e in items(data, "employees")], summary.employees)
    clients = [c for _, c in items(data, "employer_clients")]
    accounts = _account_ids(session, [c["account"] for c in clients])
    _bulk_upsert(session, EmployerClient, ("account_id", "employer_id"), [
        {"account_id": accounts[c["account"]], "employer_id": employer_id}
        for c in clients for employer_id in c["employers"]], summary.clients)
    _bulk_upsert(session, Employment, ("employee_id", "employer_id", "starts_on"), [{
        "employer_id": s["employer"], "employee_id": s["employee"],
        "starts_on": date.fromisoformat(s["start"]),
        "ends_on": date.fromisoformat(s["end"]) if "end" in s else None}
        for _, s in items(data, "employments")], summary.employments)
    _bulk_upsert(session, ContributionStatement, ("id",), [{
        "id": s["id"], "employer_id": s["employer"], "period": s["period"],
        "issued_on": date.fromisoformat(s["issued_on"]), "total_cents": cents(s["total"]),
        "lines": [{"label": line["label"], "amount_cents": cents(line["amount"])}
                  for line in s["lines"]]}
        for _, s in items(data, "contribution_statements")], summary.statements)


def _account_ids(session: Session, identifiers: Sequence[str]) -> dict[str, str]:
    session.flush()  # the accounts of this file first
    wanted = sorted(set(identifiers))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update((identifier, account_id) for identifier, account_id in session.execute(
            select(Account.identifier, Account.id).where(
                Account.identifier.in_(wanted[start:start + CHUNK]))))
    return found


def _bulk_upsert(session: Session, model: type[Any], key: tuple[str, ...],
                 rows: list[dict[str, Any]], counts: Counts) -> None:
    """Insert the new rows in one executemany, update the others in place. The existing rows
    are read by the key's first column, in chunks."""
    if not rows:
        return
    first = getattr(model, key[0])
    wanted = sorted({row[key[0]] for row in rows})
    existing: dict[tuple[Any, ...], Any] = {}
    for start in range(0, len(wanted), CHUNK):
        for found in session.scalars(select(model).where(first.in_(wanted[start:start + CHUNK]))):
            existing[tuple(getattr(found, name) for name in key)] = found
    new: list[dict[str, Any]] = []
    for row in rows:
        current = existing.get(tuple(row[name] for name in key))
        if current is None:
            new.append(row)
            continue
        changed = False
        for name, value in row.items():
            if getattr(current, name) != value:
                setattr(current, name, value)
                changed = True
        if changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()  # the updates, and the rows these ones point at
    if new:
        session.execute(insert(model), new)
        counts.created += len(new)
