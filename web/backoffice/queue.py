"""The staff queue of procedures: filters, search, keyset pages and counts per status.

A queue lists submitted work only: never a draft nor a cancelled submission, never one without a
``submitted_at``, never one of a workflow outside ``QueueFilter.workflows`` (the caller decides
which workflows a staff member may see). Everything goes through SQLAlchemy bound parameters.

- **Dates** (``submitted_from``, ``submitted_to``) are calendar days in Europe/Monaco, the
  fund's and its staff's time, both bounds included: ``submitted_to=2026-11-30`` keeps a
  submission made at 23:59 Monaco time that day (22:59 UTC in winter).
- **Sorts** are those a keyset page can read from an index in order: ``submitted_at`` (the
  default, oldest first, as a work queue) and ``-submitted_at``. ``updated_at`` is not offered:
  indexing it would make every draft step answer rewrite the indexes (no HOT update) on the
  hottest write path.
- **Pages**: the cursor is opaque (url-safe base64 of the sort, its key value and the id, the
  tie-breaker), checked strictly when read back. Without a search, each (workflow, status) pair
  is one index range read in order (``ix_submissions_queue`` or ``ix_submissions_queue_all``);
  the few first rows of each are merged, so page 100 costs what page 1 does.
- **Search** ``q``: six digits, the registration number (or an employer's subscriber number);
  ``123456-03091985``, a member's identifier; ``RD-2026-123``, a receipt number (zero-padded as
  ``Submissions._next_number`` makes them); anything else, a case-insensitive prefix of the last
  name, of "last first" or "first last", or of an employer's name.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    Subquery,
    and_,
    bindparam,
    func,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from engine import Message
from web.db.models import Account, Person, Submission, UTCDateTime

MONACO = ZoneInfo("Europe/Monaco")
HIDDEN = ("draft", "cancelled")
"""Never in a queue."""
SORTS = ("submitted_at", "-submitted_at")
DEFAULT_SORT = "submitted_at"
PAGE_SIZE = 50
MAX_STATUSES = 20
MAX_SEARCH = 80

_STATUS = re.compile(r"[a-z][a-z0-9_]{0,39}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_REGISTRATION = re.compile(r"\d{6}")
_IDENTIFIER = re.compile(r"\d{6}-\d{8}")
_RECEIPT = re.compile(r"([A-Za-z]{1,10})-(\d{4})-(\d{1,9})")
_ID = re.compile(r"[0-9A-Za-z-]{1,36}")


class QueueError(ValueError):
    """A filter or cursor the queue cannot use: ``code`` for machines, ``message`` for people."""

    def __init__(self, code: str, message: Message) -> None:
        super().__init__(message.en)
        self.code, self.message = code, message


BAD_CURSOR = Message("Le curseur de pagination n'est pas valide.", "The page cursor is invalid.")


@dataclass(frozen=True)
class QueueFilter:
    workflows: tuple[str, ...]
    """The workflows listed: only those the staff member may see (the caller decides)."""
    statuses: tuple[str, ...] = ()
    """Empty: every status but the hidden ones."""
    scope: str | None = None
    """The ``one_per`` scope, e.g. the campaign year of a resource declaration."""
    submitted_from: date | None = None
    submitted_to: date | None = None
    """Days in Europe/Monaco, both included."""
    q: str | None = None
    sort: str = DEFAULT_SORT

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise QueueError("invalid_sort", Message(
                f"Tri inconnu : choisissez parmi {', '.join(SORTS)}.",
                f"Unknown sort: choose one of {', '.join(SORTS)}."))


@dataclass(frozen=True)
class QueueRow:
    """What a queue table shows of one submission."""

    id: str
    workflow: str
    receipt_number: str | None
    status: str
    owner_identifier: str
    owner_name: str
    """First and last name of the member, or the employer's name."""
    submitted_at: datetime
    updated_at: datetime
    scope: str
    revision: int


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None


# -- reading a filter --------------------------------------------------------------------------

def parse_filter(args: Mapping[str, str], allowed_workflows: Collection[str]) -> QueueFilter:
    """The filter asked for by query parameters ``workflow`` (comma-separated, each among
    ``allowed_workflows``; default all of them), ``status`` (comma-separated), ``scope``,
    ``submitted_from`` and ``submitted_to`` (``YYYY-MM-DD``), ``q`` and ``sort``."""
    allowed = sorted(set(allowed_workflows))
    workflows = tuple(allowed)
    if (asked := _listed(args.get("workflow"))):
        if any(w not in allowed for w in asked):
            raise QueueError("invalid_workflow", Message(
                "Cette démarche n'existe pas ou n'est pas traitée par votre service.",
                "This procedure does not exist or is not handled by your department."))
        workflows = asked
    statuses = _listed(args.get("status"))
    if len(statuses) > MAX_STATUSES or any(not _STATUS.fullmatch(s) or s in HIDDEN
                                           for s in statuses):
        raise QueueError("invalid_status", Message(
            "Statut invalide : donnez des noms de statut séparés par des virgules (les brouillons"
            " et les démarches annulées ne sont jamais dans la file).",
            "Invalid status: give status names separated by commas (drafts and cancelled"
            " submissions are never in the queue)."))
    scope = (args.get("scope") or "").strip() or None
    if scope is not None and len(scope) > 120:
        raise QueueError("invalid_scope", Message("La période est trop longue.",
                                                  "The period is too long."))
    first, last = _day(args, "submitted_from"), _day(args, "submitted_to")
    if first is not None and last is not None and first > last:
        raise QueueError("invalid_date_range", Message(
            "La date de début est postérieure à la date de fin.",
            "The start date is after the end date."))
    q = " ".join((args.get("q") or "").split()) or None
    if q is not None and len(q) > MAX_SEARCH:
        raise QueueError("invalid_search", Message(
            f"La recherche est limitée à {MAX_SEARCH} caractères.",
            f"A search is at most {MAX_SEARCH} characters long."))
    return QueueFilter(workflows, statuses, scope, first, last, q,
                       args.get("sort") or DEFAULT_SORT)


def _listed(value: str | None) -> tuple[str, ...]:
    found = (part.strip() for part in (value or "").split(","))
    return tuple(dict.fromkeys(part for part in found if part))


def _day(args: Mapping[str, str], name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if _DAY.fullmatch(value) else None
        if day is None or not 1900 <= day.year <= 2999:  # no overflow at Monaco midnight
            raise ValueError(value)
        return day
    except ValueError as error:
        raise QueueError("invalid_date", Message(
            f"« {name} » doit être une date AAAA-MM-JJ.",
            f"“{name}” must be a date YYYY-MM-DD.")) from error


# -- the cursor --------------------------------------------------------------------------------

def encode_cursor(sort: str, row: QueueRow) -> str:
    raw = json.dumps([sort, row.submitted_at.isoformat(), row.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[datetime, str]:
    """The position after which a page starts; ``QueueError("invalid_cursor")`` unless the
    cursor reads as one :func:`encode_cursor` makes for this sort (an aware instant, an
    id-shaped string). A well-formed cursor written by hand is only a position: the filter
    still decides what is listed."""
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_",
                               validate=True)
        made_for, at, sid = json.loads(raw.decode())
        when = datetime.fromisoformat(at)
        if made_for != sort or when.tzinfo is None or not isinstance(sid, str) \
                or not _ID.fullmatch(sid):
            raise ValueError("not ours")
        return when.astimezone(UTC), sid
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise QueueError("invalid_cursor", BAD_CURSOR) from error


# -- the queries -------------------------------------------------------------------------------

def page(session: Session, flt: QueueFilter, cursor: str | None = None,
         size: int | None = None) -> QueuePage:
    """One page of ``size`` rows (default :data:`PAGE_SIZE`, read at each call) after
    ``cursor`` (``None``: the first page)."""
    size = PAGE_SIZE if size is None else size
    if size < 1:
        raise ValueError("size must be at least 1")
    after = decode_cursor(cursor, flt.sort) if cursor else None
    if not flt.workflows:
        return QueuePage([], None)
    keys = _keys(flt, after, size + 1)
    descending = flt.sort.startswith("-")
    order = ((keys.c.submitted_at.desc(), keys.c.id.desc()) if descending
             else (keys.c.submitted_at, keys.c.id))
    query = (select(Submission.id, Submission.workflow, Submission.receipt_number,
                    Submission.status, Account.identifier, Account.display_name,
                    Person.first_name, Person.last_name, Submission.submitted_at,
                    Submission.updated_at, Submission.scope, Submission.revision)
             .select_from(keys).join(Submission, Submission.id == keys.c.id)
             .outerjoin(Account, Account.id == Submission.owner_id)  # a visitor's: none
             .outerjoin(Person, Person.id == Account.person_id)
             .order_by(*order).limit(size + 1))
    found = [_row(r) for r in session.execute(query)]
    rows = found[:size]
    return QueuePage(rows, encode_cursor(flt.sort, rows[-1]) if len(found) > size else None)


def _row(r: Any) -> QueueRow:
    name = f"{r.first_name} {r.last_name}" if r.last_name is not None else r.display_name or ""
    return QueueRow(r.id, r.workflow, r.receipt_number, r.status, r.identifier or "", name,
                    r.submitted_at, r.updated_at, r.scope, r.revision)


def _keys(flt: QueueFilter, after: tuple[datetime, str] | None, limit: int) -> Subquery:
    """The ids and sort keys of the next ``limit`` rows. A search is selective: one query over
    every workflow. Otherwise one ordered index range per workflow (and status asked), each cut
    at ``limit`` rows, so no query ever sorts a whole queue."""
    common = [Submission.status.not_in(HIDDEN), Submission.submitted_at.is_not(None),
              *_conditions(flt)]
    if after is not None:
        at = bindparam(None, after[0], type_=UTCDateTime())
        sid = bindparam(None, after[1], type_=Submission.id.type)
        position = tuple_(Submission.submitted_at, Submission.id)
        common.append(position < tuple_(at, sid) if flt.sort.startswith("-")
                      else position > tuple_(at, sid))
    ranges: list[list[ColumnElement[bool]]] = []
    if flt.q is not None:
        ranges.append([Submission.workflow.in_(flt.workflows)])
        if flt.statuses:
            ranges[0].append(Submission.status.in_(flt.statuses))
    else:
        for workflow in flt.workflows:
            for status in flt.statuses or (None,):
                ranges.append([Submission.workflow == workflow])
                if status is not None:
                    ranges[-1].append(Submission.status == status)
    order = ((Submission.submitted_at.desc(), Submission.id.desc()) if flt.sort.startswith("-")
             else (Submission.submitted_at, Submission.id))
    selects = [select(Submission.id, Submission.submitted_at).where(*where, *common)
               .order_by(*order).limit(limit) for where in ranges]
    if len(selects) == 1:
        return selects[0].subquery("queue_keys")
    # SQLite accepts no ORDER BY/LIMIT in a UNION's members: each is wrapped in a subquery
    wrapped = [select(*s.subquery().c) for s in selects]
    return union_all(*wrapped).subquery("queue_keys")


def _conditions(flt: QueueFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if flt.scope is not None:
        found.append(Submission.scope == flt.scope)
    if flt.submitted_from is not None:
        found.append(Submission.submitted_at >= _monaco_midnight(flt.submitted_from))
    if flt.submitted_to is not None:
        found.append(Submission.submitted_at
                     < _monaco_midnight(flt.submitted_to + timedelta(days=1)))
    if flt.q is not None:
        found.append(_search(flt.q))
    return found


def _monaco_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=MONACO).astimezone(UTC)


def _search(q: str) -> ColumnElement[bool]:
    receipt = _RECEIPT.fullmatch(q)
    if receipt is not None:
        prefix, year, number = receipt.groups()
        return Submission.receipt_number == f"{prefix.upper()}-{year}-{int(number):06d}"
    owners: Select[str] | CompoundSelect[str]
    if _IDENTIFIER.fullmatch(q):
        owners = select(Account.id).where(Account.identifier == q)
    elif _REGISTRATION.fullmatch(q):
        owners = union_all(
            select(Account.id).join(Person, Person.id == Account.person_id)
            .where(Person.registration == q),
            select(Account.id).where(Account.identifier == q))
    else:
        owners = _by_name(q.lower().split()[:4])
    return Submission.owner_id.in_(owners)


def _by_name(words: Sequence[str]) -> CompoundSelect[str]:
    """Accounts whose person's last name starts with the words, or with some of them and the
    first name with the others (either order), or whose name (employers) starts with them.
    ``lower(last_name) LIKE 'prefix%'`` reads the ``ix_persons_last_name_lower`` index."""
    whole = " ".join(words)
    person = [_starts(Person.last_name, whole)]
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        person.append(and_(_starts(Person.last_name, head), _starts(Person.first_name, tail)))
        person.append(and_(_starts(Person.last_name, tail), _starts(Person.first_name, head)))
    return union_all(
        select(Account.id).join(Person, Person.id == Account.person_id).where(or_(*person)),
        select(Account.id).where(Account.person_id.is_(None),
                                 _starts(Account.display_name, whole)))


def _starts(column: Any, prefix: str) -> ColumnElement[bool]:
    escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return func.lower(column).like(f"{escaped}%", escape="/")


def counts(session: Session, workflows: Collection[str],
           scope: str | None = None) -> dict[str, int]:
    """How many submissions of these workflows (and of that scope) are in each status, hidden
    ones excepted, by status name. One index-only scan of ``ix_submissions_counts``: it reads
    every matching entry, so its cost grows with the queue (see bench/backoffice.py). A shown
    status always has a ``submitted_at`` (set on submitting, never cleared): the counts match
    the pages without reading it."""
    if not workflows:
        return {}
    query = (select(Submission.status, func.count())
             .where(Submission.workflow.in_(sorted(workflows)),
                    Submission.status.not_in(HIDDEN))
             .group_by(Submission.status).order_by(Submission.status))
    if scope is not None:
        query = query.where(Submission.scope == scope)
    return {status: int(n) for status, n in session.execute(query)}


__all__ = ["DEFAULT_SORT", "HIDDEN", "PAGE_SIZE", "SORTS", "QueueError", "QueueFilter",
           "QueuePage", "QueueRow", "counts", "decode_cursor", "encode_cursor", "page",
           "parse_filter"]
