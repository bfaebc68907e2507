"""The staff queue on a million submissions: first page, a page 100 deep, searches, counts.

    .venv/bin/python bench/backoffice.py                 # 1,000,000 submissions, ~90 s on 2 cores
    .venv/bin/python bench/backoffice.py --submissions 200000 --explain
    .venv/bin/python bench/backoffice.py --help

Creates a PostgreSQL schema ``bench_<random>``, builds it with the app's migrations
(``web.db.migrate.upgrade``), seeds ``--accounts`` accounts (members with their person, and
employers) and ``--submissions`` submissions of four workflows in every status over three years
(``INSERT ... SELECT generate_series``, in chunks), then ``VACUUM ANALYZE`` (as autovacuum would
have done). Each figure then times calls of ``web.backoffice.queue`` itself (the module, not raw
SQL), ``--repeat`` times after two warm-up calls:

- first page: one workflow, no filter, oldest first; and the same over all four workflows;
- page 100: status ``submitted`` and a one-year date range, cursor walked 100 pages deep, then that
  page fetched again and again; and page 100 of a whole workflow, newest first;
- searches: a last name, "last first", a registration number, a receipt number;
- counts per status of one workflow, and of all four.

Prints p50 and p95 in ms (target: p95 under 100 ms), the share of the table VACUUM could mark
all-visible (the counts read the index only when it is near 100 %: a transaction left open in
the same database, such as a hung test, holds it at 0 % and the counts fall back to reading the
table, 3 to 4 times slower; ``--pg-url`` can name a database of its own), and with ``--explain``
the plan of each (``EXPLAIN (ANALYZE, BUFFERS)`` of the last statement the module sent). The
schema is dropped at the end (also on error or Ctrl-C) unless ``--keep``. Exit code: 0 if every
targeted figure passes, 1 otherwise, 2 if the run failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
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

from web.backoffice import queue  # noqa: E402
from web.db.migrate import upgrade  # noqa: E402
from web.db.session import make_engine  # noqa: E402

TARGET_MS = 100.0
WORKFLOWS = ("resource_declaration", "family_allowance", "employer_wages", "address_change")
LAST_NAMES = (
    "Dupont Martin Bernard Rossi Russo Ferrari Gallo Costa Fontana Conti Ricci Bruno Marino Greco"
    " Lombardi Moretti Barbieri Giordano Rinaldi Colombo Mancini Longo Leone Martini Santoro"
    " Mariani Rizzo Caruso Ferrara Gatti Testa Sala Villa Pellegrini Palumbo Sanna Fabbri Monti"
    " Cattaneo Marchetti Messina Bianco Bianchi Romano Esposito Ricard Boisson Gastaud Médecin"
    " Pastor Grimaldi Notari Fissore Passeron Marsan Settimo Giraudi Crovetto Cellario Bosio"
    " Vatrican Durand Dubois Thomas Robert Richard Petit Moreau Laurent Simon Michel Lefebvre"
    " Leroy Roux David Bertrand Morel Fournier Girard Bonnet Lambert Fontaine Rousseau Vincent"
    " Muller Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier"
    " Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Masson Marchand Duval Denis"
    " Dumont Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet"
    " Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy Leroux Colin Vidal Caron"
    " Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre"
    " Benoit Rey Leclerc Rolland Guillaume Lecomte Lopez Dupuy Guillot Hubert Berger Carpentier"
    " Sanchez Dupuis Moulin Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam"
    " Poirier Marty Aubry Guyot Carré Renault Charpentier Ménard Maillard Baron Bertin Bailly"
    " Hervé Schneider Fernandez Collet Léger Bouvier Julien Prévost Millet Perrot Cousin Germain"
    " Breton Besson Langlois Pelletier Perrier Leblanc Lebrun Weber Mallet Boulanger Jacob Monnier"
    " Michaud Rodriguez Gillet Tessier Collin Chauvin Bouchet Humbert Reynaud Antoine Perret"
    " Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte").split()
FIRST_NAMES = (
    "Alain Marie Jean Claire Louis Anne Pierre Sophie Marc Julie Paul Laura Luca Giulia Marco"
    " Chiara Nicolas Camille Thomas Léa Antoine Emma Albert Charlotte Stéphane Isabelle Franck"
    " Nathalie Philippe Sandrine Olivier Valérie Patrick Céline Bruno Hélène Éric Élodie").split()
COMPANIES = ("Boulangerie du Rocher", "Société Monégasque", "Hôtel du Port", "Garage Princesse",
             "Cabinet Comptable Grimaldi", "Restaurant La Condamine", "Pharmacie Centrale")

SEED_PERSONS = text("""
INSERT INTO persons (id, registration, birth_date, first_name, last_name, household_role)
SELECT 'P' || lpad(i::text, 8, '0'), (100000 + i)::text,
       date '1935-01-01' + (i * 7919 % 25000),
       (CAST(:first_names AS text[]))[1 + floor(random() * :n_first)::int],
       (CAST(:last_names AS text[]))[1 + floor(random() * :n_last)::int], 'declarant'
FROM generate_series(1, :members) AS i""")
SEED_MEMBERS = text("""
INSERT INTO accounts (id, identifier, kind, person_id, display_name, password_hash,
                      email_validated, must_change_password, roles)
SELECT 'M' || substr(p.id, 2), p.registration || '-' || to_char(p.birth_date, 'DDMMYYYY'),
       'member', p.id, '', 'x', true, false, CAST('[]' AS jsonb)
FROM persons p""")
SEED_EMPLOYERS = text("""
INSERT INTO accounts (id, identifier, kind, person_id, display_name, password_hash,
                      email_validated, must_change_password, roles)
SELECT 'E' || lpad(i::text, 8, '0'), (400000 + i)::text, 'employer', NULL,
       (CAST(:companies AS text[]))[1 + i % :n_companies] || ' ' || i, 'x', true, false,
       CAST('[]' AS jsonb)
FROM generate_series(1, :employers) AS i""")
SEED_SUBMISSIONS = text("""
INSERT INTO submissions (id, workflow, version, owner_id, status, step, state, scope,
                         receipt_number, revision, created_at, updated_at, submitted_at)
SELECT gen_random_uuid()::text, workflow, 1,
       CASE WHEN workflow = 'employer_wages' THEN 'E' || lpad((1 + who % :employers)::text, 8, '0')
            ELSE 'M' || lpad((1 + who % :members)::text, 8, '0') END,
       status, NULL,
       jsonb_build_object('format', 1, 'workflow', workflow, 'version', 1, 'data',
                          jsonb_build_object('observations', jsonb_build_object(
                              'text', repeat('x', 120 + i % 200)))),
       CASE WHEN workflow = 'resource_declaration'
            THEN extract(year FROM created_at - interval '10 months')::int::text ELSE '' END,
       CASE WHEN submitted THEN upper(left(workflow, 2)) || '-'
            || extract(year FROM created_at)::int::text || '-'
            || lpad(i::text, greatest(6, length(i::text)), '0') END,
       1, created_at, created_at + r_u * interval '20 days',
       CASE WHEN submitted THEN created_at + interval '1 hour' END
FROM (
    SELECT i, who, r_u, workflow, status, status NOT IN ('draft', 'cancelled') AS submitted,
           CAST(:until AS timestamptz) - r_t * interval '3 years' AS created_at
    FROM (
        SELECT i, floor(random() * 1000000000)::int AS who, random() AS r_u, random() AS r_t,
               CASE WHEN r_wf < 0.5 THEN 'resource_declaration'
                    WHEN r_wf < 0.7 THEN 'family_allowance'
                    WHEN r_wf < 0.9 THEN 'employer_wages' ELSE 'address_change' END AS workflow,
               CASE WHEN r_st < 0.10 THEN 'draft' WHEN r_st < 0.13 THEN 'cancelled'
                    WHEN r_st < 0.43 THEN 'submitted' WHEN r_st < 0.63 THEN 'in_review'
                    WHEN r_st < 0.70 THEN 'awaiting_documents' ELSE 'processed' END AS status
        FROM (SELECT i, random() AS r_wf, random() AS r_st FROM generate_series(:first, :last) AS i)
             AS drawn) AS typed) AS timed""")
UNTIL = "2026-11-23T12:00:00+00:00"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--pg-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                   help="PostgreSQL database in which a bench_<random> schema is made")
    p.add_argument("--submissions", type=int, default=1_000_000)
    p.add_argument("--accounts", type=int, default=100_000,
                   help="accounts seeded: 95%% members (each with a person), 5%% employers")
    p.add_argument("--chunk", type=int, default=200_000, help="submissions per INSERT")
    p.add_argument("--repeat", type=int, default=50, help="timed calls per figure")
    p.add_argument("--depth", type=int, default=100, help="the deep page's number")
    p.add_argument("--size", type=int, default=queue.PAGE_SIZE, help="rows per page")
    p.add_argument("--explain", action="store_true",
                   help="print EXPLAIN (ANALYZE, BUFFERS) of each figure's last statement")
    p.add_argument("--keep", action="store_true", help="keep the schema (its name is printed)")
    args = p.parse_args(argv)
    for name in ("submissions", "accounts", "chunk", "repeat", "depth", "size"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    if args.accounts < 20:
        p.error("--accounts must be at least 20")
    return args


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- seeding -----------------------------------------------------------------------------------

def seed(engine: Engine, args: argparse.Namespace) -> None:
    employers = max(1, args.accounts // 20)
    members = args.accounts - employers
    with engine.begin() as conn:
        conn.execute(SEED_PERSONS, {"members": members, "first_names": FIRST_NAMES,
                                    "n_first": len(FIRST_NAMES), "last_names": LAST_NAMES,
                                    "n_last": len(LAST_NAMES)})
        conn.execute(SEED_MEMBERS)
        conn.execute(SEED_EMPLOYERS, {"employers": employers, "companies": list(COMPANIES),
                                      "n_companies": len(COMPANIES)})
    say(f"seeded {members:,} members with their person and {employers:,} employers")
    for first in range(1, args.submissions + 1, args.chunk):
        last = min(args.submissions, first + args.chunk - 1)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(SEED_SUBMISSIONS, {"first": first, "last": last, "members": members,
                                            "employers": employers, "until": UNTIL})
        say(f"submissions {first:,}-{last:,} in {time.perf_counter() - started:.1f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for statement in ("VACUUM (ANALYZE) persons", "VACUUM (ANALYZE) accounts",
                          "VACUUM (ANALYZE) submissions"):
            conn.exec_driver_sql(statement)


# -- measuring ---------------------------------------------------------------------------------

@dataclass
class Figure:
    name: str
    samples: list[float]
    rows: int
    targeted: bool = True
    plan: str = ""

    def percentile(self, p: int) -> float:
        values = sorted(self.samples)
        return values[min(len(values) - 1, int(len(values) * p / 100))]

    @property
    def ok(self) -> bool:
        return self.percentile(95) < TARGET_MS


class LastStatement:
    """The last statement the module sent, to EXPLAIN it afterwards with the same values."""

    def __init__(self, engine: Engine) -> None:
        self.statement: str = ""
        self.parameters: Any = None
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.startswith("EXPLAIN"):
            self.statement, self.parameters = statement, parameters

    def explain(self, session: Session) -> str:
        conn = session.connection()
        found = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + self.statement,
                                     self.parameters)
        return "\n".join(row[0] for row in found)


def timed(name: str, session: Session, call: Callable[[], int], args: argparse.Namespace,
          last: LastStatement, targeted: bool = True) -> Figure:
    rows = 0
    for _ in range(2):  # warm-up: caches, prepared statements
        rows = call()
    samples = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        rows = call()
        samples.append((time.perf_counter() - started) * 1000)
    figure = Figure(name, samples, rows, targeted)
    if args.explain:
        figure.plan = last.explain(session)
    say(f"{name}: p95 {figure.percentile(95):.1f} ms")
    return figure


def deep_cursor(session: Session, flt: queue.QueueFilter, depth: int, size: int) -> str | None:
    """The cursor that opens page ``depth`` (walked page by page, as a person would)."""
    cursor = None
    for _ in range(depth - 1):
        cursor = queue.page(session, flt, cursor, size).next_cursor
        if cursor is None:
            raise SystemExit(f"fewer than {depth} pages: seed more submissions")
    return cursor


def measure(engine: Engine, args: argparse.Namespace) -> list[Figure]:
    last = LastStatement(engine)
    one = queue.QueueFilter(workflows=("resource_declaration",))
    every = queue.QueueFilter(workflows=WORKFLOWS)
    figures = []
    with Session(engine) as s:
        def run(flt: queue.QueueFilter, cursor: str | None = None) -> Callable[[], int]:
            return lambda: len(queue.page(s, flt, cursor, args.size).rows)

        figures.append(timed("first page, one workflow", s, run(one), args, last))
        figures.append(timed("first page, four workflows", s, run(every), args, last))
        filtered = queue.QueueFilter(workflows=("resource_declaration",),
                                     statuses=("submitted",), submitted_from=date(2025, 1, 1),
                                     submitted_to=date(2025, 12, 31))
        walk = time.perf_counter()
        cursor = deep_cursor(s, filtered, args.depth, args.size)
        say(f"walked {args.depth - 1} pages in {time.perf_counter() - walk:.2f} s")
        figures.append(timed(f"page {args.depth}, status + date range", s,
                             run(filtered, cursor), args, last))
        newest = queue.QueueFilter(workflows=("resource_declaration",), sort="-submitted_at")
        figures.append(timed(f"page {args.depth}, one workflow, newest first", s,
                             run(newest, deep_cursor(s, newest, args.depth, args.size)),
                             args, last))
        pick = s.execute(text(
            "SELECT s.receipt_number, p.registration, p.last_name, p.first_name"
            " FROM submissions s JOIN accounts a ON a.id = s.owner_id"
            " JOIN persons p ON p.id = a.person_id WHERE s.workflow = 'resource_declaration'"
            " AND s.receipt_number IS NOT NULL ORDER BY s.id LIMIT 1")).one()
        receipt, registration, last_name, first_name = pick
        for label, q in (("search: last name", last_name),
                         ("search: last name + first name", f"{last_name} {first_name}"),
                         ("search: registration number", registration),
                         ("search: receipt number", receipt)):
            flt = queue.QueueFilter(workflows=WORKFLOWS, q=q)
            figures.append(timed(f"{label} ({q})", s, run(flt), args, last))
        figures.append(timed("status counts, one workflow", s, lambda: len(queue.counts(
            s, ("resource_declaration",))), args, last))
        figures.append(timed("status counts, four workflows", s, lambda: len(queue.counts(
            s, WORKFLOWS)), args, last))
        figures.append(timed("status counts, one workflow and campaign", s, lambda: len(
            queue.counts(s, ("resource_declaration",), scope="2025")), args, last))
    return figures


# -- the report --------------------------------------------------------------------------------

def report(figures: list[Figure], args: argparse.Namespace, engine: Engine,
           seconds: float) -> bool:
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
        sizes = {t: conn.execute(text("SELECT pg_size_pretty(pg_total_relation_size("
                                      "CAST(:t AS regclass)))"), {"t": t}).scalar()
                 for t in ("submissions", "accounts", "persons")}
        total = conn.execute(text("SELECT count(*) FROM submissions")).scalar()
        visible = conn.execute(text(
            "SELECT relallvisible::float / greatest(relpages, 1) FROM pg_class"
            " WHERE oid = CAST('submissions' AS regclass)")).scalar()
    print(f"command    {sys.executable} {' '.join(sys.argv)}")
    print(f"machine    {os.cpu_count()} CPUs, {platform.platform()}, PostgreSQL {version};"
          f" load average {os.getloadavg()[0]:.2f} after the run (other work on the machine"
          " moves these figures)")
    print(f"data       {total:,} submissions, {args.accounts:,} accounts; sizes with indexes: "
          + ", ".join(f"{t} {v}" for t, v in sizes.items()) + f"; seeded in {seconds:.0f} s")
    print(f"vacuum     {visible:.0%} of the submissions' pages all-visible after VACUUM (the"
          " counts' index-only scans need it; a transaction left open by anyone in the same"
          " database holds it back: then give --pg-url another database)")
    print(f"timing     {args.repeat} calls of web.backoffice.queue per figure after 2 warm-up"
          f" calls, {args.size} rows a page, in one process, wall clock\n")
    width = max(len(f.name) for f in figures)
    print(f"{'figure':<{width}}  {'rows':>5}  {'p50 ms':>7}  {'p95 ms':>7}  target")
    print(f"{'-' * width}  -----  -------  -------  ------")
    for f in figures:
        verdict = ("PASS" if f.ok else "FAIL") if f.targeted else "-"
        print(f"{f.name:<{width}}  {f.rows:>5}  {statistics.median(f.samples):>7.2f}  "
              f"{f.percentile(95):>7.2f}  {verdict}")
    for f in figures:
        if f.plan:
            print(f"\n-- {f.name}\n{f.plan}")
    return all(f.ok for f in figures if f.targeted)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    schema = database.create_schema(args.pg_url)
    say(f"schema {schema.name} in {args.pg_url}")
    engine = make_engine(schema.url)
    try:
        upgrade(engine)
        started = time.perf_counter()
        seed(engine, args)
        seconds = time.perf_counter() - started
        ok = report(measure(engine, args), args, engine, seconds)
        return 0 if ok else 1
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
