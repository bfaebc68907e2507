"""The staff queue (web/backoffice/queue.py) and its API (GET /api/v1/staff/submissions):
filters, search, keyset pages, counts, CSV export. On SQLite, and on PostgreSQL when
TEST_DATABASE_URL is set."""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from engine import SubmissionState
from tests.integration.api_client import Api
from web import tokens
from web.backoffice.csv_export import BOM, export, queue_rows
from web.backoffice.queue import (
    QueueError,
    QueueFilter,
    QueueRow,
    counts,
    decode_cursor,
    encode_cursor,
    page,
    parse_filter,
)
from web.db.models import Account, Person, Submission

RD = "resource_declaration"
OTHER = "employer_wages"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_n = itertools.count(1)


# -- data ----------------------------------------------------------------------------------

def owner(app, first="Alain", last="Martin", registration=None, birth=date(1970, 1, 2)) -> str:
    """A member account with its person; returns the account id."""
    n = next(_n)
    registration = registration or f"{500000 + n}"
    with app.extensions["csm"].sessions.begin() as s:
        s.add(Person(id=f"QP{n}", registration=registration, birth_date=birth,
                     first_name=first, last_name=last, household_role="declarant"))
        s.flush()
        account = Account(identifier=f"{registration}-{birth:%d%m%Y}", kind="member",
                          person_id=f"QP{n}", password_hash="x", roles=[])
        s.add(account)
        s.flush()
        return account.id


def company(app, name: str) -> str:
    n = next(_n)
    with app.extensions["csm"].sessions.begin() as s:
        account = Account(identifier=f"{700000 + n}", kind="employer", display_name=name,
                          password_hash="x", roles=[])
        s.add(account)
        s.flush()
        return account.id


def add(app, owner_id: str, at: datetime | None = T0, *, status="submitted", workflow=RD,
        scope="2025", receipt: str | None = None, sid: str | None = None) -> str:
    """A submission stored as the service stores one (a valid state)."""
    version = app.extensions["csm"].catalog.current(RD).version
    state = SubmissionState(workflow=workflow, version=version, step=None, status=status)
    with app.extensions["csm"].sessions.begin() as s:
        row = Submission(id=sid or str(uuid.uuid4()), workflow=workflow, version=version,
                         owner_id=owner_id, status=status, step=None, state=state.to_json(),
                         scope=scope, receipt_number=receipt, created_at=at or T0,
                         updated_at=at or T0, submitted_at=at)
        s.add(row)
        s.flush()
        return row.id


def ids(app, flt: QueueFilter, size: int = 50) -> list[str]:
    """Every id of the queue, walked page by page."""
    found: list[str] = []
    cursor = None
    with app.extensions["csm"].sessions() as s:
        while True:
            got = page(s, flt, cursor, size)
            found += [r.id for r in got.rows]
            cursor = got.next_cursor
            if cursor is None:
                return found


def only(**kwargs) -> QueueFilter:
    return QueueFilter(workflows=(RD,), **kwargs)


# -- what is never listed --------------------------------------------------------------------

def test_drafts_cancelled_and_other_procedures_are_never_listed_nor_counted(app):
    who = owner(app)
    shown = add(app, who, status="in_review")
    add(app, who, None, status="draft")
    add(app, who, T0, status="cancelled")
    elsewhere = add(app, who, workflow=OTHER)
    assert ids(app, only()) == [shown]
    assert ids(app, QueueFilter(workflows=(RD, OTHER))) == sorted([shown, elsewhere])
    assert ids(app, QueueFilter(workflows=())) == []
    with app.extensions["csm"].sessions() as s:
        assert counts(s, [RD]) == {"in_review": 1}
        assert counts(s, [RD, OTHER]) == {"in_review": 1, "submitted": 1}
        assert counts(s, []) == {}


# -- filters ---------------------------------------------------------------------------------

def test_status_and_scope_filters(app):
    who = owner(app)
    a = add(app, who, T0, status="submitted", scope="2025")
    b = add(app, who, T0 + timedelta(hours=1), status="in_review", scope="2025")
    c = add(app, who, T0 + timedelta(hours=2), status="in_review", scope="2024")
    d = add(app, who, T0 + timedelta(hours=3), status="processed", scope="2024")
    assert ids(app, only(statuses=("in_review",))) == [b, c]
    assert ids(app, only(statuses=("submitted", "processed"))) == [a, d]
    assert ids(app, only(scope="2024")) == [c, d]
    assert ids(app, only(scope="2024", statuses=("in_review",))) == [c]
    with app.extensions["csm"].sessions() as s:
        assert counts(s, [RD], scope="2024") == {"in_review": 1, "processed": 1}


def test_date_range_is_in_monaco_days_both_bounds_included(app):
    """Winter: Monaco is UTC+1. 30 November 23:59 in Monaco is 22:59 UTC; 1 November 00:00 in
    Monaco is 31 October 23:00 UTC."""
    who = owner(app)
    before = add(app, who, datetime(2026, 10, 31, 22, 59, 59, tzinfo=UTC))
    first = add(app, who, datetime(2026, 10, 31, 23, 0, tzinfo=UTC))
    last = add(app, who, datetime(2026, 11, 30, 22, 59, 59, tzinfo=UTC))
    after = add(app, who, datetime(2026, 11, 30, 23, 0, tzinfo=UTC))
    assert ids(app, only(submitted_from=date(2026, 11, 1), submitted_to=date(2026, 11, 30))) \
        == [first, last]
    assert ids(app, only(submitted_from=date(2026, 12, 1))) == [after]
    assert ids(app, only(submitted_to=date(2026, 10, 31))) == [before]
    assert ids(app, only(submitted_from=date(2026, 11, 30), submitted_to=date(2026, 11, 30))) \
        == [last]


# -- search ----------------------------------------------------------------------------------

@pytest.fixture
def people(app):
    """Four owners, one submission each, with names and numbers to look for."""
    found = {
        "martin": owner(app, "Alain", "Martin", "123456", date(1985, 9, 3)),
        "martinez": owner(app, "Claire", "Martinez", "123457"),
        "rossi": owner(app, "Martine", "Rossi", "654321"),
        "bakery": company(app, "Boulangerie du Rocher"),
    }
    subs = {key: add(app, who, T0 + timedelta(minutes=i), receipt=f"RD-2026-{i + 1:06d}")
            for i, (key, who) in enumerate(found.items())}
    return subs


@pytest.mark.parametrize(("q", "expected"), [
    ("123456", ["martin"]),  # registration number
    ("123456-03091985", ["martin"]),  # a member's identifier
    ("123456-01011900", []),
    ("RD-2026-000002", ["martinez"]),  # receipt number as printed
    ("rd-2026-2", ["martinez"]),  # ... typed lazily: case and zeros
    ("RD-2025-000002", []),
    ("martin", ["martin", "martinez"]),  # last name prefix, any case
    ("MARTINE", ["martinez"]),
    ("Martin Alain", ["martin"]),  # last then first name
    ("alain martin", ["martin"]),  # first then last name
    ("Martine Rossi", ["rossi"]),
    ("ross", ["rossi"]),
    ("boulangerie", ["bakery"]),  # an employer's name
    ("lain", []),  # a prefix, not a substring
    ("m%", []),  # LIKE wildcards are plain characters
    ("_artin", []),
])
def test_search(app, people, q, expected):
    assert ids(app, only(q=q)) == [people[key] for key in expected]


def test_search_through_the_filter_parser_normalises_spaces(app, people):
    flt = parse_filter({"q": "  Martin    Alain "}, [RD])
    assert flt.q == "Martin Alain"
    assert ids(app, flt) == [people["martin"]]


# -- sorting and keyset pages ----------------------------------------------------------------

def test_default_sort_is_oldest_first_and_minus_is_newest_first(app):
    who = owner(app)
    middle = add(app, who, T0)
    newest = add(app, who, T0 + timedelta(days=1))
    oldest = add(app, who, T0 - timedelta(days=1))
    assert ids(app, only()) == [oldest, middle, newest]
    assert ids(app, only(sort="-submitted_at")) == [newest, middle, oldest]


@pytest.mark.parametrize("sort", ["submitted_at", "-submitted_at"])
@pytest.mark.parametrize("statuses", [(), ("submitted", "in_review")])
def test_keyset_pages_miss_nothing_and_repeat_nothing_with_equal_timestamps(app, sort,
                                                                           statuses):
    """23 submissions over two procedures and three statuses share three instants: pages of 4
    give each exactly once, in (submitted_at, id) order."""
    who = owner(app)
    made = []
    for i in range(23):
        at = T0 + timedelta(seconds=i % 3)
        status = ("submitted", "in_review", "processed")[i % 3 if i < 20 else 0]
        workflow = RD if i % 2 else OTHER
        made.append((at, add(app, who, at, status=status, workflow=workflow), status))
    flt = QueueFilter(workflows=(RD, OTHER), statuses=statuses, sort=sort)
    expected = [sid for at, sid, status in sorted(made, reverse=sort.startswith("-"))
                if not statuses or status in statuses]
    walked = ids(app, flt, size=4)
    assert walked == expected
    assert len(set(walked)) == len(walked)


def test_the_last_full_page_has_no_next_cursor(app):
    who = owner(app)
    for i in range(4):
        add(app, who, T0 + timedelta(minutes=i))
    with app.extensions["csm"].sessions() as s:
        first = page(s, only(), None, 2)
        second = page(s, only(), first.next_cursor, 2)
    assert len(first.rows) == len(second.rows) == 2 and second.next_cursor is None


def test_a_row_gives_what_the_queue_table_shows(app):
    member_id = owner(app, "Claire", "Notari", "246810", date(1980, 4, 5))
    employer_id = company(app, "Hôtel du Port")
    add(app, member_id, T0, receipt="RD-2026-000042", scope="2025")
    add(app, employer_id, T0 + timedelta(hours=1), scope="")
    with app.extensions["csm"].sessions() as s:
        member_row, employer_row = page(s, only()).rows
    assert (member_row.owner_identifier, member_row.owner_name, member_row.receipt_number,
            member_row.status, member_row.scope, member_row.workflow) == (
        "246810-05041980", "Claire Notari", "RD-2026-000042", "submitted", "2025", RD)
    assert member_row.submitted_at == T0 and member_row.updated_at == T0
    assert (employer_row.owner_name, employer_row.receipt_number) == ("Hôtel du Port", None)


def _tampered(cursor: str) -> str:
    raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[2] = "x' OR 1=1 --"
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode()


def test_a_tampered_or_foreign_cursor_is_refused(app):
    who = owner(app)
    for i in range(3):
        add(app, who, T0 + timedelta(minutes=i))
    with app.extensions["csm"].sessions() as s:
        good = page(s, only(), None, 1).next_cursor
        assert good is not None
        assert page(s, only(), good, 1).rows  # the genuine one works
        for bad in [good[:-3], good + "!!", "bm90IGpzb24", _tampered(good), "x" * 300,
                    base64.urlsafe_b64encode(b'["submitted_at","2026-11-02T09:00:00",'
                                             b'"a"]').decode(),  # naive datetime
                    base64.urlsafe_b64encode(b'["submitted_at","yesterday","a"]').decode()]:
            with pytest.raises(QueueError) as refused:
                page(s, only(), bad, 1)
            assert refused.value.code == "invalid_cursor", bad
        with pytest.raises(QueueError):  # made for another sort
            page(s, only(sort="-submitted_at"), good, 1)


def test_cursor_round_trip():
    at = datetime(2026, 11, 2, 9, 0, 0, 123456, tzinfo=UTC)
    row = QueueRow("0b6c7a8e-0000-4000-8000-000000000001", RD, None, "submitted", "x", "y", at,
                   at, "", 1)
    cursor = encode_cursor("submitted_at", row)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor, "submitted_at") == (at, row.id)


# -- reading the filter ----------------------------------------------------------------------

def test_parse_filter_reads_every_parameter():
    flt = parse_filter({"workflow": RD, "status": "submitted, in_review", "scope": " 2025 ",
                        "submitted_from": "2026-11-01", "submitted_to": "2026-11-30",
                        "q": "Martin", "sort": "-submitted_at"}, [RD, OTHER])
    assert flt == QueueFilter((RD,), ("submitted", "in_review"), "2025", date(2026, 11, 1),
                              date(2026, 11, 30), "Martin", "-submitted_at")
    assert parse_filter({}, [RD, OTHER]) == QueueFilter((OTHER, RD))


@pytest.mark.parametrize(("args", "code"), [
    ({"submitted_from": "2026-13-01"}, "invalid_date"),
    ({"submitted_to": "30/11/2026"}, "invalid_date"),
    ({"submitted_from": "20261101"}, "invalid_date"),
    ({"submitted_to": "9999-12-31"}, "invalid_date"),  # the day after would overflow
    ({"submitted_from": "0001-01-01"}, "invalid_date"),
    ({"submitted_from": "2026-12-01", "submitted_to": "2026-11-01"}, "invalid_date_range"),
    ({"sort": "owner_name"}, "invalid_sort"),
    ({"sort": "submitted_at; DROP TABLE submissions"}, "invalid_sort"),
    ({"status": "draft"}, "invalid_status"),
    ({"status": "submitted,cancelled"}, "invalid_status"),
    ({"status": "In Review"}, "invalid_status"),
    ({"workflow": "pension_claim"}, "invalid_workflow"),
    ({"q": "x" * 81}, "invalid_search"),
    ({"scope": "y" * 121}, "invalid_scope"),
])
def test_parse_filter_refuses_bad_values_with_a_message_in_both_languages(args, code):
    with pytest.raises(QueueError) as refused:
        parse_filter(args, [RD])
    assert refused.value.code == code
    assert refused.value.message.fr and refused.value.message.en
    assert refused.value.message.fr != refused.value.message.en


# -- CSV export ------------------------------------------------------------------------------

def test_export_streams_the_whole_filtered_queue_by_keyset(app):
    who = owner(app, "=cmd|' /C calc'!A0", "Martin")
    made = [add(app, who, T0 + timedelta(seconds=i % 2)) for i in range(7)]
    add(app, who, T0, status="draft")
    with app.extensions["csm"].sessions() as s:
        assert [r.id for r in queue_rows(s, only(), batch=2)] == sorted(
            made, key=lambda sid: (sid not in made[::2], sid))
        assert len(list(queue_rows(s, only(), limit=5, batch=2))) == 5
        lines = list(export(s, only(), "en"))
    assert lines[0].startswith(BOM + "Receipt number;Procedure;Status")
    assert len(lines) == 1 + 7
    assert all(";'=cmd|' /C calc'!A0 Martin;" in line for line in lines[1:])


# -- the API ---------------------------------------------------------------------------------

def staff_api(client, roles=("immatriculation",)) -> Api:
    services = client.application.extensions["csm"]
    with services.sessions.begin() as s:
        agent = Account(identifier=f"agentq{next(_n)}", kind="staff", display_name="Agent",
                        password_hash="x", email_validated=True, roles=list(roles))
        s.add(agent)
        s.flush()
        issued = tokens.issue(s, agent, services.clock.now(), 8, kind="api")
    return Api(client, issued.token, lang="en")


def test_the_api_filters_pages_and_names_the_owner(client):
    app = client.application
    who = owner(app, "Claire", "Notari", "246810", date(1980, 4, 5))
    older = add(app, who, T0, status="in_review", receipt="RD-2026-000007")
    newer = add(app, who, T0 + timedelta(days=1), status="in_review")
    add(app, who, T0, status="submitted")
    add(app, who, T0, status="in_review", workflow=OTHER)
    api = staff_api(client)
    r = api.get("/api/v1/staff/submissions?status=in_review&sort=-submitted_at"
                "&submitted_from=2026-11-01&submitted_to=2026-11-30&scope=2025")
    assert r.status_code == 200, r.json
    assert [s["id"] for s in r.json["submissions"]] == [newer, older]
    first = r.json["submissions"][1]
    assert first["owner"] == {"identifier": "246810-05041980", "name": "Claire Notari"}
    assert (first["scope"], first["status"], first["receipt"]["number"]) == (
        "2025", "in_review", "RD-2026-000007")
    assert "revision" in first and r.json["next_cursor"] is None
    r = api.get("/api/v1/staff/submissions?q=rd-2026-7")
    assert [s["id"] for s in r.json["submissions"]] == [older]


def test_the_api_pages_with_next_cursor(client):
    app = client.application
    who = owner(app)
    made = [add(app, who, T0 + timedelta(minutes=i)) for i in range(53)]
    api = staff_api(client)
    first = api.get("/api/v1/staff/submissions").json
    assert len(first["submissions"]) == 50 and first["next_cursor"]
    second = api.get(f"/api/v1/staff/submissions?cursor={first['next_cursor']}").json
    assert [s["id"] for s in first["submissions"] + second["submissions"]] == made
    assert second["next_cursor"] is None


@pytest.mark.parametrize(("query", "code", "detail"), [
    ("cursor=bm9wZQ", "invalid_cursor", "The page cursor is invalid."),
    ("submitted_from=2026-02-30", "invalid_date", "“submitted_from” must be a date YYYY-MM-DD."),
    ("sort=name", "invalid_sort", "Unknown sort: choose one of submitted_at, -submitted_at."),
    ("status=draft", "invalid_status", None),
    ("workflow=employer_wages", "invalid_workflow", None),
])
def test_the_api_answers_bad_parameters_with_a_problem(client, query, code, detail):
    r = staff_api(client).get(f"/api/v1/staff/submissions?{query}")
    assert r.status_code == 400
    assert r.mimetype == "application/problem+json"
    assert r.json["code"] == code and r.json["status"] == 400
    assert r.json["title"] == "Bad request"
    if detail:
        assert r.json["detail"] == detail


def test_the_api_problem_is_in_french_by_default(client):
    api = staff_api(client)
    api.lang = "fr"
    r = api.get("/api/v1/staff/submissions?submitted_to=demain")
    assert r.status_code == 400
    assert r.json["detail"] == "« submitted_to » doit être une date AAAA-MM-JJ."


def test_a_staff_member_without_the_role_sees_an_empty_queue(client):
    who = owner(client.application)
    add(client.application, who)
    api = staff_api(client, roles=("recouvrement",))
    r = api.get("/api/v1/staff/submissions")
    assert r.status_code == 200 and r.json == {"submissions": [], "next_cursor": None}


def test_members_never_reach_the_queue(client):
    with client.application.extensions["csm"].sessions.begin() as s:
        account = s.get(Account, owner(client.application))
        account.email_validated = True
        issued = tokens.issue(s, account, client.application.extensions["csm"].clock.now(), 8)
    r = Api(client, issued.token).get("/api/v1/staff/submissions")
    assert r.status_code == 404

