"""What the employer portal reads (ref 004): an employer account's clients, a client's workforce
for a month (derived from the employment spells, in keyset pages), its contribution statements.

Every function takes the account's id and answers only for the employers it may act for
(``employer_clients``): another employer is ``None``, as a missing one.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from web.db.models import ContributionStatement, Employee, Employer, EmployerClient, Employment

PAGE_SIZE = 100
"""Employees per workforce page."""
PICKER_MONTHS = 24
"""How many months back the period picker offers (the manual's 24 months of history)."""
_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def current_period(today: date) -> str:
    """The month of ``today`` as ``YYYY-MM``. (The wage declaration's period, which opens on the
    20th, will come from ``rules``.)"""
    return f"{today:%Y-%m}"


def period_bounds(period: str) -> tuple[date, date] | None:
    """The first and last day of ``YYYY-MM``; ``None`` when it is not such a month."""
    found = _PERIOD.fullmatch(period)
    if found is None:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    if year < 1900:
        return None
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def recent_periods(today: date, count: int = PICKER_MONTHS) -> list[str]:
    """The current month and the ``count - 1`` before it, latest first."""
    year, month = today.year, today.month
    periods = []
    for _ in range(count):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return periods


def clients(session: Session, account_id: str, *, active: bool) -> list[Employer]:
    """The account's clients, active or inactive, by name."""
    return list(session.scalars(
        select(Employer).join(EmployerClient, EmployerClient.employer_id == Employer.id)
        .where(EmployerClient.account_id == account_id, Employer.active.is_(active))
        .order_by(Employer.name, Employer.id)))


def client(session: Session, account_id: str, employer_id: str) -> Employer | None:
    """The employer if the account may act for it, else ``None``."""
    return session.scalars(
        select(Employer).join(EmployerClient, EmployerClient.employer_id == Employer.id)
        .where(EmployerClient.account_id == account_id, Employer.id == employer_id)).first()


@dataclass(frozen=True)
class WorkforcePage:
    employees: list[Employee]
    total: int
    next_after: str | None
    """The last employee's id when more follow (the next page's ``after``)."""


def _in_month(employer_id: str, first: date, last: date) -> ColumnElement[bool]:
    """The employees with a spell at the employer overlapping the month."""
    return Employee.id.in_(select(Employment.employee_id).where(
        Employment.employer_id == employer_id, Employment.starts_on <= last,
        or_(Employment.ends_on.is_(None), Employment.ends_on >= first)))


def workforce(session: Session, employer_id: str, period: str, after: str | None = None,
              size: int = PAGE_SIZE) -> WorkforcePage:
    """One page of the employer's workforce for ``period`` (a valid ``YYYY-MM``), by last name,
    first name and id, starting after the employee ``after`` (keyset: no OFFSET, each page as
    fast as the first). An ``after`` outside the workforce starts from the beginning."""
    bounds = period_bounds(period)
    assert bounds is not None, "the caller checks the period"
    in_month = _in_month(employer_id, *bounds)
    query = select(Employee).where(in_month)
    if after is not None:
        mark = session.execute(select(Employee.last_name, Employee.first_name, Employee.id)
                               .where(Employee.id == after, in_month)).first()
        if mark is not None:
            query = query.where(tuple_(Employee.last_name, Employee.first_name, Employee.id)
                                > tuple_(*mark))
    rows = list(session.scalars(query.order_by(Employee.last_name, Employee.first_name,
                                               Employee.id).limit(size + 1)))
    total = session.scalar(select(func.count()).select_from(Employee).where(in_month)) or 0
    more = len(rows) > size
    rows = rows[:size]
    return WorkforcePage(rows, total, rows[-1].id if more else None)


def employee_in_workforce(session: Session, employer_id: str, period: str,
                          employee_id: str) -> Employee | None:
    """The employee if they belong to the employer's workforce for ``period`` (a valid
    ``YYYY-MM``), else ``None`` (another employer's, or not employed that month)."""
    bounds = period_bounds(period)
    assert bounds is not None, "the caller checks the period"
    return session.scalars(select(Employee).where(
        Employee.id == employee_id, _in_month(employer_id, *bounds))).first()


def statements(session: Session, employer_id: str) -> list[ContributionStatement]:
    """The employer's contribution statements, latest period first."""
    return list(session.scalars(select(ContributionStatement)
                                .where(ContributionStatement.employer_id == employer_id)
                                .order_by(ContributionStatement.period.desc())))


def statement(session: Session, employer_id: str, statement_id: str
              ) -> ContributionStatement | None:
    return session.scalars(select(ContributionStatement).where(and_(
        ContributionStatement.employer_id == employer_id,
        ContributionStatement.id == statement_id))).first()


CREDITOR_NAME = "Caisses Sociales de Monaco"
CREDITOR_ADDRESS = ("11 rue Princesse Antoinette", "98000 MONACO")
CREDITOR_IDENTIFIER = "MC35ZZZ0012345"
"""The fund's SEPA creditor identifier (ICS) on the mandate form: a plausible one, country
code, ISO 7064 MOD 97-10 check digits, ``ZZZ`` business code, national identifier (demo)."""


def creditor_identifier_is_valid(identifier: str) -> bool:
    """The check digits of a SEPA creditor identifier (the business code is not checked)."""
    country, check, national = identifier[:2], identifier[2:4], identifier[7:]
    digits = "".join(str(int(c, 36)) for c in national + country) + check
    return int(digits) % 97 == 1


def full_workforce(session: Session, employer_id: str, period: str) -> list[Employee]:
    """The employer's whole workforce for ``period`` (a valid ``YYYY-MM``), in the workforce
    pages' order: what a wage declaration is pre-filled with (one query, 5,000 rows fine)."""
    bounds = period_bounds(period)
    assert bounds is not None, "the caller checks the period"
    return list(session.scalars(select(Employee).where(_in_month(employer_id, *bounds))
                                .order_by(Employee.last_name, Employee.first_name, Employee.id)))


def known_employee_ids(session: Session, employer_id: str) -> list[str]:
    """Every employee who ever had a spell at the employer (the known workforce, any period)."""
    return list(session.scalars(select(Employment.employee_id).where(
        Employment.employer_id == employer_id).distinct().order_by(Employment.employee_id)))


def first_period(session: Session, employer_id: str) -> str | None:
    """The month of the employer's earliest known employment spell (``YYYY-MM``), or None."""
    first = session.scalar(select(func.min(Employment.starts_on)).where(
        Employment.employer_id == employer_id))
    return None if first is None else f"{first.year:04d}-{first.month:02d}"
