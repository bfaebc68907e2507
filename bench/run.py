"""Benchmark of the resource declaration: engine alone, the API under gunicorn, a bare baseline.

    .venv/bin/python bench/run.py            # defaults finish in about a minute on 2 cores
    .venv/bin/python bench/run.py --help

See bench/README.md for how to read the output. Everything it starts (two gunicorns, one after
the other) and creates (a PostgreSQL schema ``bench_<random>``) is stopped and dropped at the end,
even on error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import signal
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # after bench/ (sys.path[0]): the project's packages

import database  # noqa: E402
import engine_bench  # noqa: E402
import load  # noqa: E402
from payloads import STEP_NAMES, TODAY  # noqa: E402
from server import Gunicorn, cpu_of, cpu_since, cpu_snapshot, postgres_pids, status_kb  # noqa: E402

ENGINE_TARGET = 10_000  # answers/s
RATIO_TARGET = 0.40  # API step PUT/s ÷ bare PUT/s
MEMORY_TARGET_MB = 150.0  # VmHWM per worker


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--engine-declarations", type=int, default=3000,
                   help="engine-only: declaration paths run (6 answers each)")
    p.add_argument("--members", type=int, default=400,
                   help="API: member accounts seeded = declarations measured")
    p.add_argument("--rounds", type=int, default=5,
                   help="API and bare runs alternate in this many rounds (machine drift cancels"
                        " out in the per-round ratios)")
    p.add_argument("--warmup", type=int, default=16,
                   help="API: extra declarations run before measuring (also for the bare app)")
    p.add_argument("--concurrency", type=int, default=8, help="client threads")
    p.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    p.add_argument("--pg-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                   help="PostgreSQL database in which a bench_<random> schema is made")
    p.add_argument("--profile-declarations", type=int, default=40,
                   help="in-process API profile: declarations whose PUTs are profiled")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--profile", action="store_true",
                       help="always print the hot spots (default: only when a target fails)")
    group.add_argument("--no-profile", action="store_true", help="never profile")
    p.add_argument("--skip-http", action="store_true", help="engine-only part alone")
    args = p.parse_args(argv)
    for name in ("engine_declarations", "members", "concurrency", "workers", "rounds"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.profile_declarations < 3:
        p.error("--profile-declarations must be at least 3")
    if args.rounds > args.members:
        p.error("--rounds cannot exceed --members")
    return args


# -- results ---------------------------------------------------------------------------------

@dataclass
class Phase:
    name: str
    requests: int
    seconds: float
    client_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Round:
    api_puts: int
    api_seconds: float
    bare_puts: int
    bare_seconds: float

    @property
    def ratio(self) -> float:
        return (self.api_puts / self.api_seconds) / (self.bare_puts / self.bare_seconds)


def add_phase(phases: list[Phase], name: str, requests: int, seconds: float, cpu: float) -> None:
    found = next((p for p in phases if p.name == name), None)
    if found is None:
        phases.append(Phase(name, requests, seconds, cpu))
    else:
        found.requests += requests
        found.seconds += seconds
        found.client_cpu += cpu


@dataclass
class Results:
    machine: dict[str, str] = field(default_factory=dict)
    engine: engine_bench.EngineResult | None = None
    engine_profile: list[tuple[str, float, float, int]] | None = None
    api: load.Recorder | None = None
    api_phases: list[Phase] = field(default_factory=list)
    api_declarations: int = 0
    api_put_cpu_ms: float | None = None
    api_memory: list[tuple[int, int | None]] = field(default_factory=list)
    api_restarted: bool = False
    bare: load.Recorder | None = None
    bare_phase: Phase | None = None
    rounds: list[Round] = field(default_factory=list)
    bare_cpu_ms: float | None = None
    api_put_pg_ms: float | None = None
    bare_pg_ms: float | None = None
    bare_memory: list[tuple[int, int | None]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    api_profile: Any = None

    @property
    def api_steps(self) -> Phase | None:
        return next((p for p in self.api_phases if p.name == "steps"), None)

    @property
    def pooled_ratio(self) -> float | None:
        if self.api_steps is None or self.bare_phase is None or not self.bare_phase.rate:
            return None
        return self.api_steps.rate / self.bare_phase.rate

    @property
    def ratio(self) -> float | None:
        """The median of the per-round ratios: what the target is judged on."""
        if not self.rounds:
            return None
        return statistics.median(r.ratio for r in self.rounds)

    def targets(self) -> list[tuple[str, str, str, bool | None]]:
        rows: list[tuple[str, str, str, bool | None]] = []
        if self.engine is not None:
            rate = self.engine.answers_per_second
            rows.append(("engine answers/s (1 core)", f"{rate:,.0f}", f"≥ {ENGINE_TARGET:,}",
                         rate >= ENGINE_TARGET))
        if self.ratio is not None:
            rows.append(("API step PUT/s ÷ bare PUT/s (median)", f"{self.ratio:.0%}",
                         f"≥ {RATIO_TARGET:.0%}", self.ratio >= RATIO_TARGET))
        if self.api_memory:
            peak = max((kb or 0) for _pid, kb in self.api_memory) / 1024
            rows.append(("peak RSS per API worker", f"{peak:.1f} MB",
                         f"< {MEMORY_TARGET_MB:.0f} MB", peak < MEMORY_TARGET_MB))
        if self.api is not None:
            errors = len(self.api.errors) + (len(self.bare.errors) if self.bare else 0)
            rows.append(("HTTP errors / failed checks", str(errors + len(self.checks)), "0",
                         errors + len(self.checks) == 0))
        return rows


# -- printing --------------------------------------------------------------------------------

def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right if right is not None else set(range(1, len(headers)))
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("PASS" if ok else "FAIL")


def title(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 76 - len(text)))


def print_report(r: Results, args: argparse.Namespace) -> None:
    title("Machine")
    for key, value in r.machine.items():
        print(f"{key:<18} {value}")

    if r.engine is not None:
        e = r.engine
        title(f"1. Engine only (no HTTP, no database, 1 thread): {e.declarations:,} declarations")
        rows = [[name, f"{e.per_step_us[name]:.1f}", f"{1e6 / e.per_step_us[name]:,.0f}"]
                for name in STEP_NAMES]
        rows.append(["all six answers", f"{e.answer_seconds / e.answers * 1e6:.1f}",
                     f"{e.answers_per_second:,.0f}"])
        print(table(["step (runtime.answer)", "µs/answer", "answers/s"], rows))
        print(f"target ≥ {ENGINE_TARGET:,} answers/s: "
              f"{verdict(e.answers_per_second >= ENGINE_TARGET)}")
        print(f"not counted above: start {e.per_step_us['start']:.1f} µs, open_document "
              f"{e.per_step_us['open_document']:.1f} µs, submit {e.per_step_us['submit']:.1f} µs;"
              f" whole path start→submit {e.declarations_per_second:,.0f} declarations/s")

    if r.api is not None:
        title(f"2. API through gunicorn ({args.workers} sync workers, {args.concurrency} "
              f"clients, {r.api_declarations} declarations)")
        labels = ["login", "start", "open_cgu", *STEP_NAMES, "submit"]
        rows = []
        for label in labels:
            values = r.api.latencies.get(label, [])
            rows.append([label, str(len(values)), *(f"{load.percentile(values, p):.1f}"
                                                     for p in (50, 95, 99))])
        puts = [v for k in STEP_NAMES for v in r.api.latencies.get(k, [])]
        rows.append(["all step PUTs", str(len(puts)),
                     *(f"{load.percentile(puts, p):.1f}" for p in (50, 95, 99))])
        print(table(["request", "n", "p50 ms", "p95 ms", "p99 ms"], rows))
        total = sum(p.seconds for p in r.api_phases)
        print()
        print(table(["phase (summed over the rounds)", "requests", "wall s", "req/s",
                     "client CPU"],
                    [[{"prepare": "prepare: login, start, open cgu",
                       "steps": "steps: the 6 step PUTs",
                       "submit": "submit"}[p.name], str(p.requests), f"{p.seconds:.2f}",
                      f"{p.rate:,.1f}", f"{p.client_cpu / p.seconds:.2f} core"]
                     for p in r.api_phases]))
        if total:
            print(f"declarations/s (login → submit): {r.api_declarations / total:,.1f}"
                  f"  ({r.api_declarations} in {total:.2f} s)")
        if r.api_put_cpu_ms is not None:
            print(f"gunicorn workers' CPU per step PUT: {r.api_put_cpu_ms:.2f} ms")
        if r.api.errors:
            print(f"ERRORS ({len(r.api.errors)}): " + " | ".join(r.api.errors[:5]))

    if r.bare is not None and r.bare_phase is not None:
        b = r.bare_phase
        title(f"3. Bare Flask endpoint (1 INSERT + 1 commit per request), same gunicorn "
              f"settings, {args.concurrency} clients")
        values = r.bare.latencies.get("bare_put", [])
        api_steps = r.api_steps
        rows = []
        sides = [("bare PUT", b, values, r.bare_cpu_ms, r.bare_pg_ms)]
        if api_steps is not None and r.api is not None:
            puts = [v for k in STEP_NAMES for v in r.api.latencies.get(k, [])]
            sides.insert(0, ("API step PUT", api_steps, puts, r.api_put_cpu_ms, r.api_put_pg_ms))
        for label, phase, lat, worker_ms, pg_ms in sides:
            client_ms = phase.client_cpu / max(1, phase.requests) * 1000
            cpu = [worker_ms, pg_ms, client_ms]
            rows.append([label, str(phase.requests), f"{phase.seconds:.2f}", f"{phase.rate:,.1f}",
                         *(f"{load.percentile(lat, p):.1f}" for p in (50, 95, 99)),
                         *("?" if c is None else f"{c:.2f}" for c in cpu),
                         "?" if None in cpu else f"{sum(c for c in cpu if c):.2f}"])
        print(table(["endpoint", "requests", "wall s", "req/s", "p50 ms", "p95 ms", "p99 ms",
                     "CPU ms/req: workers", "postgres", "client", "total"], rows))
        if r.rounds:
            print()
            print(table(["round", "API PUT/s", "bare PUT/s", "ratio"],
                        [[str(i), f"{x.api_puts / x.api_seconds:,.1f}",
                          f"{x.bare_puts / x.bare_seconds:,.1f}", f"{x.ratio:.1%}"]
                         for i, x in enumerate(r.rounds, 1)]))
        if r.ratio is not None:
            print(f"RATIO API step req/s ÷ bare req/s = {r.ratio:.1%} (median of {len(r.rounds)}"
                  f" rounds; pooled {r.pooled_ratio:.1%})   target ≥ {RATIO_TARGET:.0%}   "
                  f"{verdict(r.ratio >= RATIO_TARGET)}")
        if r.api_put_cpu_ms and r.bare_cpu_ms:
            print(f"for reference, gunicorn workers' CPU only: bare ms/req ÷ API ms/req = "
                  f"{r.bare_cpu_ms / r.api_put_cpu_ms:.1%} (the ratio if the workers had cores of"
                  " their own)")
        if r.bare.errors:
            print(f"ERRORS ({len(r.bare.errors)}): " + " | ".join(r.bare.errors[:5]))

    if r.api_memory or r.bare_memory:
        title("4. Peak memory per gunicorn worker (VmHWM after the run)")
        rows = []
        for kind, found in (("API worker", r.api_memory), ("bare worker (reference)",
                                                           r.bare_memory)):
            for pid, kb in found:
                mb = None if kb is None else kb / 1024
                ok = None if kind != "API worker" or mb is None else mb < MEMORY_TARGET_MB
                rows.append([kind, str(pid), "?" if mb is None else f"{mb:.1f}",
                             f"< {MEMORY_TARGET_MB:.0f}" if kind == "API worker" else "",
                             verdict(ok)])
        print(table(["process", "pid", "VmHWM MB", "target MB", ""], rows, right={1, 2, 3}))
        if r.api_restarted:
            print("note: an API worker was restarted during the run (see the gunicorn log)")

    if r.engine_profile is not None:
        title("Profile: engine loop (cProfile, share of total own time)")
        print(table(["function", "own", "cumulated", "calls"],
                    [[f, f"{own:.1%}", f"{cum:.1%}", f"{n:,}"]
                     for f, own, cum, n in r.engine_profile], right={1, 2, 3}))

    if r.api_profile is not None:
        ap = r.api_profile
        title("Profile: API step PUT in process (Flask test client, same PostgreSQL)")
        print(table(["per PUT, in process", "wall ms", "CPU ms", "waiting for PostgreSQL ms"],
                    [["API step PUT", f"{ap.api.wall_ms:.2f}", f"{ap.api.cpu_ms:.2f}",
                      f"{ap.api.wall_ms - ap.api.cpu_ms:.2f}"],
                     ["bare PUT", f"{ap.bare.wall_ms:.2f}", f"{ap.bare.cpu_ms:.2f}",
                      f"{ap.bare.wall_ms - ap.bare.cpu_ms:.2f}"]]))
        print(f"SQL statements per API PUT: {ap.statements_per_put:.1f} (" + ", ".join(
            f"{k} {v:.1f}" for k, v in ap.statements_by_kind.items()) + "); bare: 1 INSERT")
        print("\ndatabase round trips of one API PUT (PUT .../steps/terms), in order:")
        for number, line in enumerate(ap.one_put, 1):
            print(f"  {number:>2}. {line}")
        print("\nCPU (own time) by package:")
        print(table(["package / module", "share"],
                    [[k, f"{v:.1%}"] for k, v in ap.packages[:14]]))
        print("\nproject functions by cumulated CPU time (share of the PUT's CPU):")
        print(table(["function", "own", "cumulated", "calls"],
                    [[f, f"{own:.1%}", f"{cum:.1%}", f"{n:,}"]
                     for f, own, cum, n in ap.project_cumulative], right={1, 2, 3}))
        print("\nhottest functions by own CPU time:")
        print(table(["function", "own", "cumulated", "calls"],
                    [[f, f"{own:.1%}", f"{cum:.1%}", f"{n:,}"]
                     for f, own, cum, n in ap.functions], right={1, 2, 3}))

    if r.checks:
        title("Failed checks")
        for check in r.checks:
            print(f"- {check}")

    title("Targets")
    print(table(["figure", "measured", "target", "result"],
                [[n, m, t, verdict(ok)] for n, m, t, ok in r.targets()], right={1}))


# -- the runs --------------------------------------------------------------------------------

def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine(args: argparse.Namespace) -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    found = {"nproc": f"{os.cpu_count()} (usable: {len(os.sched_getaffinity(0))})",
             "cpu": cpu, "python": f"{platform.python_version()} ({sys.executable})",
             "platform": platform.platform()}
    if not args.skip_http:
        try:
            found["postgresql"] = database.server_version(args.pg_url)
        except Exception as error:  # noqa: BLE001 - reported, the HTTP part will fail clearly
            found["postgresql"] = f"unreachable: {error.__class__.__name__}"
        import gunicorn

        found["gunicorn"] = gunicorn.__version__
    return found


def run_engine(args: argparse.Namespace, r: Results) -> None:
    say(f"engine only: {args.engine_declarations} declarations")
    r.engine = engine_bench.run(args.engine_declarations)


def api_env(schema: database.BenchSchema) -> dict[str, str]:
    return {"DATABASE_URL": schema.url, "FROZEN_TODAY": TODAY.isoformat(),
            "PASSWORD_HASH_PROFILE": "cheapest", "ENVIRONMENT": "test",
            "SECRET_KEY": secrets.token_hex(20)}


def run_http(args: argparse.Namespace, r: Results, cleanup: list[Any]) -> None:
    from web import create_app
    from web.settings import Settings

    say(f"creating schema in {args.pg_url}")
    schema = database.create_schema(args.pg_url)
    cleanup.append(("schema", schema))
    env = api_env(schema)
    # migrate and record the workflow versions once, here, so two booting workers never race
    app = create_app(Settings(environment="test", database_url=schema.url,
                              secret_key=env["SECRET_KEY"], frozen_today=TODAY,
                              password_hash_profile="cheapest"))
    cleanup.append(("engine", app.extensions["csm"].engine))
    total = args.warmup + args.members + (0 if args.no_profile else args.profile_declarations)
    say(f"seeding {total} members (warm-up {args.warmup}, measured {args.members}, "
        f"profile {total - args.warmup - args.members})")
    identifiers = database.seed_members(app, total)
    warm_ids = identifiers[:args.warmup]
    measured_ids = identifiers[args.warmup:args.warmup + args.members]
    profile_ids = identifiers[args.warmup + args.members:]
    database.create_bare_table(schema.url)

    # -- 2 and 3: the API and the bare baseline, both up, measured in alternating rounds ----
    api = Gunicorn("web:create_app()", env, workers=args.workers)
    cleanup.append(("gunicorn", api))
    say(f"starting gunicorn web:create_app() ({args.workers} workers)")
    api.start("/api/v1/openapi.json")
    workers = api.worker_pids()
    bare = Gunicorn("bare_app:create_app()", {"DATABASE_URL": schema.url},
                    workers=args.workers, pythonpath=str(BENCH))
    cleanup.append(("gunicorn", bare))
    say("starting gunicorn bare_app:create_app()")
    bare.start("/bare/ping")
    bare_workers = bare.worker_pids()
    say(f"API on {api.base} (workers {workers}), bare on {bare.base} (workers {bare_workers});"
        f" warm-up {len(warm_ids)} declarations on each")
    load.run_phase(api.base, load.full, [load.Declaration(i) for i in warm_ids],
                   args.concurrency, None)
    load.run_phase(bare.base, load.bare_steps, [load.Declaration("")] * len(warm_ids),
                   args.concurrency, None)
    rec, brec = load.Recorder(), load.Recorder()
    r.api, r.bare, r.api_declarations = rec, brec, len(measured_ids)
    items = [load.Declaration(i) for i in measured_ids]
    api_cpu = bare_cpu = api_pg = bare_pg = 0.0
    say(f"measuring {len(items)} declarations in {args.rounds} rounds, {args.concurrency} "
        "clients")
    for number in range(args.rounds):
        batch = items[number * len(items) // args.rounds:(number + 1) * len(items) // args.rounds]
        round_puts = round_seconds = 0.0
        for name, work, labels in (("prepare", load.prepare, ["login", "start", "open_cgu"]),
                                   ("steps", load.answer_steps, STEP_NAMES),
                                   ("submit", load.submit, ["submit"])):
            before, cpu0, client0 = rec.count(labels), cpu_of(workers), time.process_time()
            pg0 = cpu_snapshot(postgres_pids())
            seconds = load.run_phase(api.base, work, batch, args.concurrency, rec)
            client = time.process_time() - client0
            done = rec.count(labels) - before
            if name == "steps":
                api_cpu += cpu_of(workers) - cpu0
                api_pg += cpu_since(pg0, postgres_pids())
                round_puts, round_seconds = done, seconds
            add_phase(r.api_phases, name, done, seconds, client)
        # the same PUT sequences (same payloads, 6 per "declaration") on the bare endpoint
        before, cpu0, client0 = brec.count(), cpu_of(bare_workers), time.process_time()
        pg0 = cpu_snapshot(postgres_pids())
        seconds = load.run_phase(bare.base, load.bare_steps,
                                 [load.Declaration("") for _ in batch], args.concurrency, brec)
        client = time.process_time() - client0
        bare_cpu += cpu_of(bare_workers) - cpu0
        bare_pg += cpu_since(pg0, postgres_pids())
        done = brec.count() - before
        r.bare_phase = r.bare_phase or Phase("bare", 0, 0.0, 0.0)
        r.bare_phase.requests += done
        r.bare_phase.seconds += seconds
        r.bare_phase.client_cpu += client
        r.rounds.append(Round(int(round_puts), round_seconds, done, seconds))
        say(f"  round {number + 1}/{args.rounds}: API {round_puts / round_seconds:,.0f} PUT/s,"
            f" bare {done / seconds:,.0f} PUT/s, ratio {r.rounds[-1].ratio:.0%}")
    r.api_put_cpu_ms = api_cpu / max(1, rec.count(STEP_NAMES)) * 1000
    r.bare_cpu_ms = bare_cpu / max(1, brec.count()) * 1000
    r.api_put_pg_ms = api_pg / max(1, rec.count(STEP_NAMES)) * 1000
    r.bare_pg_ms = bare_pg / max(1, brec.count()) * 1000

    # -- 4. memory, then stop both -----------------------------------------------------------
    r.api_memory = [(pid, status_kb(pid, "VmHWM")) for pid in workers]
    r.bare_memory = [(pid, status_kb(pid, "VmHWM")) for pid in bare_workers]
    r.api_restarted = api.worker_pids() != workers
    for server in (api, bare):
        server.stop()
        log = server.log_tail()
        if "Traceback" in log or "ERROR" in log:
            r.checks.append(f"gunicorn {server.app} log has errors:\n{log}")
    groups = len(items)

    # -- what the database holds -----------------------------------------------------------
    engine = app.extensions["csm"].engine
    submitted = database.count(engine, "SELECT count(*) FROM submissions WHERE status = "
                                       "'submitted'")
    expected = len(warm_ids) + sum(1 for d in items if d.done)
    if submitted != expected or expected != len(warm_ids) + len(items):
        r.checks.append(f"{submitted} submitted declarations in the database, expected "
                        f"{len(warm_ids) + len(items)}")
    stored = database.count(engine, "SELECT count(*) FROM bare_steps")
    if stored != (len(warm_ids) + groups) * len(STEP_NAMES):
        r.checks.append(f"{stored} bare rows, expected "
                        f"{(len(warm_ids) + groups) * len(STEP_NAMES)}")

    # -- hot spots of the API (in process) ---------------------------------------------------
    failing = (r.ratio is not None and r.ratio < RATIO_TARGET) or any(
        kb is not None and kb / 1024 >= MEMORY_TARGET_MB for _p, kb in r.api_memory)
    if profile_ids and (args.profile or failing):
        import profile_api

        say(f"profiling {len(profile_ids)} declarations' PUTs in process")
        import bare_app

        saved = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = schema.url
        try:
            r.api_profile = profile_api.run(app, bare_app.create_app(), profile_ids)
        finally:
            if saved is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = saved


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    r = Results(machine=machine(args))
    cleanup: list[Any] = []
    failure: BaseException | None = None
    try:
        run_engine(args, r)
        if args.profile or (not args.no_profile and r.engine is not None and
                            r.engine.answers_per_second < ENGINE_TARGET):
            say("profiling the engine loop")
            r.engine_profile = engine_bench.profile()
        if not args.skip_http:
            run_http(args, r, cleanup)
    except BaseException as error:  # noqa: BLE001 - reported after cleanup
        failure = error
    finally:
        for kind, thing in reversed(cleanup):
            try:
                if kind == "gunicorn":
                    thing.stop()
                    if failure is not None:
                        tail = thing.log_tail()
                        if tail:
                            say(f"gunicorn {thing.app} log:\n{tail}")
                    thing.remove_log()
                elif kind == "engine":
                    thing.dispose()
                elif kind == "schema":
                    database.drop_schema(thing)
                    say(f"dropped schema {thing.name}")
            except Exception as error:  # noqa: BLE001 - keep cleaning
                say(f"cleanup of {kind} failed: {error!r}")
    print_report(r, args)
    if failure is not None:
        if isinstance(failure, KeyboardInterrupt | SystemExit):
            say("interrupted")
            return 130
        say(f"FAILED: {failure.__class__.__name__}: {failure}")
        import traceback

        traceback.print_exception(failure, file=sys.stderr)
        return 2
    return 0 if all(ok is not False for *_x, ok in r.targets()) else 1


if __name__ == "__main__":
    sys.exit(main())
