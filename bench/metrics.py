"""The metrics of a procedure on a million submissions and their audit trail.

    .venv/bin/python bench/metrics.py                    # 1,000,000 submissions, ~5 minutes
    .venv/bin/python bench/metrics.py --submissions 200000 --explain
    .venv/bin/python bench/metrics.py --help

Creates a PostgreSQL schema ``bench_<random>`` (``bench/database.py``), builds it with the app's
migrations, seeds ``--accounts`` member accounts and ``--submissions`` submissions of four
workflows over three years (half of them resource declarations) in every status: 10 % drafts,
3 % cancelled, 30 % submitted, 20 % in review, 7 % awaiting documents, 25 % processed, 5 %
rejected. Each gets the audit trail the app would have written (``started``, one
``step_answered`` per step answered, ``submitted``, the staff transitions, ``cancelled``: about
eight entries a submission, written in the order of their time as the append-only log is;
hashes are filler, nothing verifies them here), and ``updated_at``,
``step`` and ``submitted_at`` as the app would have left them. Then ``VACUUM ANALYZE``.

It times ``web.backoffice.metrics.procedure_metrics`` itself for the resource declaration
(``--repeat`` calls after two warm-ups) over 30 days and over 365 days, and prints p50/p95 in ms
and the time of each statement of the last call (with ``--explain``, its plan). Target: p95
under 1 s for 30 days (a page drawn on demand, not a queue). The schema is dropped at the end
(also on error or Ctrl-C) unless ``--keep``. Exit code: 0 if the target is met, 1 otherwise, 2
if the run failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # after bench/ (sys.path[0]): the project's packages

import database  # noqa: E402
from sqlalchemy import Engine, event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine import load_definitions  # noqa: E402
from web.backoffice.metrics import ProcedureMetrics, procedure_metrics  # noqa: E402
from web.db.migrate import upgrade  # noqa: E402
from web.db.session import make_engine  # noqa: E402

TARGET_MS = 1000.0
TODAY = date(2026, 11, 23)
UNTIL = "2026-11-23T12:00:00+00:00"
STEPS = ["terms", "situation", "income_declarant", "income_spouse", "observations", "children",
         "summary"]

SEED_ACCOUNTS = text("""
INSERT INTO accounts (id, identifier, kind, display_name, password_hash, email_validated,
                      must_change_password, roles)
SELECT 'A' || lpad(i::text, 8, '0'), 'a' || i, 'member', '', 'x', true, false,
       CAST('[]' AS jsonb)
FROM generate_series(1, CAST(:accounts AS int)) AS i""")
SEED_SUBMISSIONS = text("""
INSERT INTO submissions (id, workflow, version, owner_id, status, step, state, scope,
                         receipt_number, revision, created_at, updated_at, submitted_at)
SELECT gen_random_uuid()::text, workflow, 1, 'A' || lpad((1 + i % :accounts)::text, 8, '0'),
       status, NULL, CAST('{"format": 1}' AS jsonb), '',
       CASE WHEN submitted THEN 'X-' || i END, 1, created_at, created_at,
       CASE WHEN submitted THEN created_at + interval '1 hour' END
FROM (
    SELECT i, workflow, status, status NOT IN ('draft', 'cancelled') AS submitted,
           CAST(:until AS timestamptz) - r_t * interval '3 years' AS created_at
    FROM (
        SELECT i, random() AS r_t,
               CASE WHEN r_wf < 0.5 THEN 'resource_declaration'
                    WHEN r_wf < 0.7 THEN 'family_allowance'
                    WHEN r_wf < 0.9 THEN 'employer_wages' ELSE 'address_change' END AS workflow,
               CASE WHEN r_st < 0.10 THEN 'draft' WHEN r_st < 0.13 THEN 'cancelled'
                    WHEN r_st < 0.43 THEN 'submitted' WHEN r_st < 0.63 THEN 'in_review'
                    WHEN r_st < 0.70 THEN 'awaiting_documents'
                    WHEN r_st < 0.95 THEN 'processed' ELSE 'rejected' END AS status
        FROM (SELECT i, random() AS r_wf, random() AS r_st
              FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS i)
             AS drawn) AS typed) AS timed""")
# what the app would have done to each submission: steps answered, when staff acted
PLAN = text("""
CREATE TABLE bench_plan AS
SELECT id, owner_id, status, created_at, submitted_at, answered,
       submitted_at + (decided_at - submitted_at) / 2 AS reviewed_at, decided_at
FROM (SELECT id, owner_id, status, created_at, submitted_at,
             CASE WHEN submitted_at IS NULL THEN abs(hashtext(id)) % 6 ELSE 6 END AS answered,
             least(submitted_at + (1 + abs(hashtext(id || 'd')) % 480) * interval '1 hour',
                   CAST(:until AS timestamptz)) AS decided_at
      FROM submissions) AS drawn""")
EVENTS = """
INSERT INTO bench_events
SELECT id, seq, at, owner_id, kind, name, detail FROM ({select})
    AS made (id, owner_id, seq, at, kind, name, detail)"""
# the audit trail is append-only: its rows lie in the table in the order of their time
APPEND = text("""
INSERT INTO submission_events (submission_id, seq, at, actor_id, actor_kind, event, revision,
                               detail, prev_hash, hash)
SELECT id, seq, at, owner_id, kind, name, seq, detail, repeat('0', 64),
       md5(id || seq) || md5(seq || id)
FROM bench_events ORDER BY at, id, seq""")
EVENT_SELECTS = {
    "started": """SELECT id, owner_id, 1 AS seq, created_at AS at, 'member' AS kind,
                  'started' AS name, CAST('{"version": 1}' AS jsonb) AS detail FROM bench_plan""",
    "step_answered": """SELECT id, owner_id, 1 + j, created_at + j * interval '1 minute',
                  'member', 'step_answered', jsonb_build_object('status', 'draft', 'step',
                  (CAST(:steps AS text[]))[j + 1], 'answered', (CAST(:steps AS text[]))[j])
                  FROM bench_plan CROSS JOIN LATERAL generate_series(1, answered) AS j""",
    "submitted": """SELECT id, owner_id, 8, submitted_at, 'member', 'submitted',
                  CAST('{"status": "submitted", "step": "summary"}' AS jsonb) FROM bench_plan
                  WHERE submitted_at IS NOT NULL""",
    "cancelled": """SELECT id, owner_id, answered + 2, created_at + (answered + 1)
                  * interval '1 minute', 'member', 'cancelled',
                  CAST('{"status": "cancelled", "step": null}' AS jsonb) FROM bench_plan
                  WHERE status = 'cancelled'""",
    "staff:start_review": """SELECT id, owner_id, 9, reviewed_at, 'staff', 'staff:start_review',
                  CAST('{"status": "in_review", "step": "summary", "from": "submitted",
                  "to": "in_review"}' AS jsonb) FROM bench_plan
                  WHERE status IN ('in_review', 'awaiting_documents', 'processed', 'rejected')""",
    "staff:request_documents": """SELECT id, owner_id, 10, decided_at, 'staff',
                  'staff:request_documents', CAST('{"status": "awaiting_documents", "step":
                  "summary", "comment": "pièces"}' AS jsonb) FROM bench_plan
                  WHERE status = 'awaiting_documents'""",
    "staff:accept or reject": """SELECT id, owner_id, 10, decided_at, 'staff',
                  CASE status WHEN 'processed' THEN 'staff:accept' ELSE 'staff:reject' END,
                  jsonb_build_object('status', status, 'step', 'summary', 'from', 'in_review',
                  'to', status) FROM bench_plan WHERE status IN ('processed', 'rejected')""",
}
SETTLE = text("""
UPDATE submissions AS s
SET step = CASE WHEN p.status = 'draft' THEN (CAST(:steps AS text[]))[p.answered + 1]
                WHEN p.status = 'cancelled' THEN NULL ELSE 'summary' END,
    updated_at = CASE p.status
        WHEN 'draft' THEN p.created_at + p.answered * interval '1 minute'
        WHEN 'cancelled' THEN p.created_at + (p.answered + 1) * interval '1 minute'
        WHEN 'submitted' THEN p.submitted_at
        WHEN 'in_review' THEN p.reviewed_at
        ELSE p.decided_at END
FROM bench_plan AS p WHERE p.id = s.id""")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--pg-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                   help="PostgreSQL database in which a bench_<random> schema is made")
    p.add_argument("--submissions", type=int, default=1_000_000)
    p.add_argument("--accounts", type=int, default=100_000)
    p.add_argument("--chunk", type=int, default=250_000, help="submissions per INSERT")
    p.add_argument("--repeat", type=int, default=10, help="timed calls per figure")
    p.add_argument("--explain", action="store_true",
                   help="print EXPLAIN (ANALYZE, BUFFERS) of each statement of the last call")
    p.add_argument("--keep", action="store_true", help="keep the schema (its name is printed)")
    p.add_argument("--reuse", metavar="SCHEMA",
                   help="measure a schema kept by an earlier --keep run: no seeding, kept")
    args = p.parse_args(argv)
    for name in ("submissions", "accounts", "chunk", "repeat"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    return args


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def seed(engine: Engine, args: argparse.Namespace) -> None:
    with engine.begin() as conn:
        conn.execute(SEED_ACCOUNTS, {"accounts": args.accounts})
    for first in range(1, args.submissions + 1, args.chunk):
        last = min(args.submissions, first + args.chunk - 1)
        with engine.begin() as conn:
            conn.execute(SEED_SUBMISSIONS, {"first": first, "last": last,
                                            "accounts": args.accounts, "until": UNTIL})
        say(f"submissions {first:,}-{last:,}")
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL work_mem = '512MB'"))
        conn.execute(PLAN, {"until": UNTIL})
        conn.execute(text("CREATE UNLOGGED TABLE bench_events (id text, seq int,"
                          " at timestamptz, owner_id text, kind text, name text, detail jsonb)"))
        for name, select in EVENT_SELECTS.items():
            started = time.perf_counter()
            conn.execute(text(EVENTS.format(select=select)), {"steps": STEPS})
            say(f"events {name} in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        conn.execute(APPEND)
        say(f"audit trail written in time order in {time.perf_counter() - started:.1f} s")
        conn.execute(SETTLE, {"steps": STEPS})
        conn.execute(text("DROP TABLE bench_plan"))
        conn.execute(text("DROP TABLE bench_events"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("accounts", "submissions", "submission_events"):
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


@dataclass
class Statements:
    """Each statement the module sends, with its duration, for the last call."""

    seen: list[tuple[str, Any, float]] = field(default_factory=list)

    def listen(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, statement: str, parameters: Any,
                *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.startswith("EXPLAIN"):
            spent = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
            self.seen.append((statement, parameters, spent))


@dataclass
class Figure:
    name: str
    samples: list[float]
    statements: list[tuple[str, Any, float]]
    result: ProcedureMetrics
    plans: list[str] = field(default_factory=list)

    def percentile(self, p: int) -> float:
        values = sorted(self.samples)
        return values[min(len(values) - 1, int(len(values) * p / 100))]


def measure(engine: Engine, args: argparse.Namespace, days: int) -> Figure:
    wf = load_definitions(ROOT).current()["resource_declaration"]
    statements = Statements()
    statements.listen(engine)
    samples: list[float] = []
    with Session(engine) as s:
        for i in range(args.repeat + 2):
            statements.seen.clear()
            started = time.perf_counter()
            result = procedure_metrics(s, wf, TODAY, days=days)
            if i >= 2:
                samples.append((time.perf_counter() - started) * 1000)
            s.rollback()
        figure = Figure(f"{days} days", samples, list(statements.seen), result)
        if args.explain:
            for statement, parameters, _ in figure.statements:
                found = s.connection().exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                figure.plans.append("\n".join(row[0] for row in found))
    event.remove(engine, "before_cursor_execute", statements._before)
    event.remove(engine, "after_cursor_execute", statements._after)
    say(f"{figure.name}: p95 {figure.percentile(95):.0f} ms")
    return figure


def report(figures: list[Figure], args: argparse.Namespace, engine: Engine,
           seconds: float) -> bool:
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
        sizes = {t: conn.execute(text("SELECT pg_size_pretty(pg_total_relation_size("
                                      "CAST(:t AS regclass)))"), {"t": t}).scalar()
                 for t in ("submissions", "submission_events")}
        events = conn.execute(text("SELECT count(*) FROM submission_events")).scalar()
        total = conn.execute(text("SELECT count(*) FROM submissions")).scalar()
    print(f"command    {sys.executable} {' '.join(sys.argv)}")
    print(f"machine    {os.cpu_count()} CPUs, {platform.platform()}, PostgreSQL {version}")
    print(f"data       {total:,} submissions, {events:,} audit entries; sizes with"
          " indexes: " + ", ".join(f"{t} {v}" for t, v in sizes.items())
          + (f"; seeded in {seconds:.0f} s" if seconds > 1 else " (reused)"))
    print(f"timing     {args.repeat} calls of procedure_metrics(resource_declaration) per figure"
          " after 2 warm-up calls, one process, wall clock\n")
    ok = True
    for f in figures:
        m = f.result
        verdict = "PASS" if f.percentile(95) < TARGET_MS else "FAIL"
        ok = ok and (verdict == "PASS" or f.name != "30 days")
        print(f"{f.name}: p50 {statistics.median(f.samples):.0f} ms, p95"
              f" {f.percentile(95):.0f} ms  {verdict if f.name == '30 days' else '-'}")
        print(f"  submissions {sum(m.by_status.values()):,}, submitted in the window"
              f" {sum(d.submitted for d in m.per_day):,}, decided {m.decided:,}, median"
              f" {m.median_decision_hours:.1f} h, p90 {m.p90_decision_hours:.1f} h")
        for statement, _, spent in f.statements:
            print(f"  {spent:8.1f} ms  {' '.join(statement.split())[:110]}")
        for plan in f.plans:
            print(f"\n{plan}")
        print()
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.reuse:
        schema, args.keep = database.BenchSchema(args.pg_url, args.reuse), True
    else:
        schema = database.create_schema(args.pg_url)
    say(f"schema {schema.name} in {args.pg_url}")
    engine = make_engine(schema.url)
    try:
        started = time.perf_counter()
        if not args.reuse:
            upgrade(engine)
            seed(engine, args)
        seconds = time.perf_counter() - started
        figures = [measure(engine, args, days) for days in (30, 365)]
        return 0 if report(figures, args, engine, seconds) else 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - reported; the schema is still dropped
        say(f"run failed: {error.__class__.__name__}: {error}")
        return 2
    finally:
        engine.dispose()
        if args.keep:
            say(f"kept schema {schema.name}: {schema.url}")
        else:
            database.drop_schema(schema)
            say(f"dropped schema {schema.name}")


if __name__ == "__main__":
    sys.exit(main())
