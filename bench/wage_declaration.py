"""A wage declaration of 5,000 employees from end to end: the API, the step page and the PDF.

    .venv/bin/python bench/wage_declaration.py              # 5,000 employees, 3 rounds
    .venv/bin/python bench/wage_declaration.py --rounds 5 --events 0.2

On a temporary SQLite file database: imports the demo data (demo/registry.yaml,
demo/employers.yaml) and the Hôtel Bellevue Larvotto's (EMP-0002) generated workforce
(``web.registry.generate.workforce``), with the clock frozen on 2026-11-23 (period 2026-11).
Acting as the firm 300781 (Fiduciaire Azur Conseil), through the Flask test client, it times:

1. the PUT of the employees step through the JSON API (validate and save the 5,000 lines of the
   step's prefill, each with a gross amount and hours, about one in ten with an event of the
   period), on ``--rounds`` fresh drafts: first and best; then the submit of the last one
   (every step re-validated,
   the receipt stored);
2. the employees step page (GET /submissions/<id>/steps/employees, the client selected), on a
   draft whose lines are only pre-filled and on the answered one; and the page's size;
3. the declaration's PDF (GET /client/declarations/<id>.pdf) after the submit;
4. the peak memory of the process (``ru_maxrss``), and after each phase: the peak so far, the
   resident memory then (``/proc/self/statm``) and, with ``--tracemalloc`` (a separate run: the
   times are then slower and not comparable), the peak of Python's allocations during the phase,
   so the printout says which phase raises the peak.

The API's request limit (``max_request_bytes``, 256 KiB) refuses the JSON body of 5,000 lines
(413): ``--raise-api-limit`` creates the app with ``max_request_bytes = max_step_post_bytes``
to measure the rest. Targets: validate+save < 1 s, PDF < 3 s, peak memory < 300 MB. Exit
code 1 on a miss (or when a call fails: the status and the body are printed).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # after bench/ (sys.path[0]): the project's packages

from web import create_app  # noqa: E402
from web.registry import import_registry, load_registry_file  # noqa: E402
from web.registry.generate import workforce  # noqa: E402
from web.settings import Settings  # noqa: E402

TODAY = date(2026, 11, 23)
PERIOD = "2026-11"
EMPLOYER = "EMP-0002"
FIRM = ("300781", "Bilan7rz")
TARGET_SAVE = 1.0
TARGET_PDF = 3.0
TARGET_MB = 300.0
KINDS = ["contract_start", "contract_end", "sick_leave", "maternity", "work_accident",
         "unpaid_leave", "other_absence"]


class Failed(Exception):
    pass


def expect(response: Any, status: int, what: str) -> Any:
    if response.status_code != status:
        body = response.get_data(as_text=True)
        raise Failed(f"{what}: HTTP {response.status_code} (expected {status})\n{body[:3000]}")
    return response


def timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def peak_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def rss_mb() -> float:
    """The resident memory now (Linux), or 0 where /proc is missing."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * resource.getpagesize() / (1024 * 1024)


class Phases:
    """Memory per phase: the process's peak after it (and how much the phase raised it), the
    resident memory after it, and with ``--tracemalloc`` the peak of Python's allocations during
    it (above what was allocated when it began)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float, float, float | None]] = []
        self.last = peak_mb()
        if args.tracemalloc:
            tracemalloc.start()

    def start(self) -> None:
        if tracemalloc.is_tracing():
            tracemalloc.reset_peak()
            self.base = tracemalloc.get_traced_memory()[0]

    def done(self, label: str, seconds: float) -> None:
        traced = None
        if tracemalloc.is_tracing():
            traced = (tracemalloc.get_traced_memory()[1] - self.base) / (1024 * 1024)
        peak = peak_mb()
        self.rows.append((label, seconds, peak, peak - self.last, rss_mb(), traced))
        self.last = peak

    def print(self) -> None:
        width = max(len(r[0]) for r in self.rows)
        print(f"{'phase':<{width}}  {'time':>8}  {'peak':>7}  {'raised':>7}  "
              f"{'RSS now':>7}" + ("  traced peak" if args.tracemalloc else ""))
        for label, seconds, peak, raised, now, traced in self.rows:
            extra = "" if traced is None else f"  {traced:8.0f} MB"
            print(f"{label:<{width}}  {seconds:6.3f} s  {peak:4.0f} MB  {raised:+4.0f} MB  "
                  f"{now:4.0f} MB{extra}")


def make_app(tmp: str) -> Any:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp}/bench.sqlite3",
                        secret_key="x" * 40, definitions_dir=ROOT, frozen_today=TODAY,
                        password_hash_profile="cheapest")
    if args.raise_api_limit:  # the API's bodies as large as a step page's post
        settings = replace(settings, max_request_bytes=settings.max_step_post_bytes)
    app = create_app(settings)
    app.config["TESTING"] = True
    services = app.extensions["csm"]
    for name in ("registry.yaml", "employers.yaml"):
        with services.sessions.begin() as s:
            import_registry(s, load_registry_file(ROOT / "demo" / name), services.passwords)
    with services.sessions.begin() as s:
        import_registry(s, workforce(EMPLOYER, args.employees, TODAY), services.passwords)
    return app


def lines(prefill: list[dict[str, Any]], rng: random.Random, share: float) -> dict[str, Any]:
    """The prefill's lines, each with a gross amount and hours; ``share`` with one event."""
    found = []
    for line in prefill:
        line = {k: v for k, v in line.items() if v is not None}
        line["gross"] = f"{rng.randint(1800, 15000)},{rng.randint(0, 99):02d}"
        line["hours"] = rng.choice([169, 151.67, 120, 86.5, 39])
        if rng.random() < share:
            day = rng.randint(1, 20)
            kind = rng.choice(KINDS)
            event = {"kind": kind, "start": f"{PERIOD}-{day:02d}",
                     "end": f"{PERIOD}-{day + rng.randint(1, 9):02d}"}
            if kind == "contract_start":  # a start only; an end only for contract_end
                del event["end"]
            elif kind == "contract_end":
                del event["start"]
            line["events"] = [event]
        found.append(line)
    return {"employees": found}


class Api:
    def __init__(self, client: Any, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}",
                                             "Accept-Language": "fr"}

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=self.headers)

    def post(self, url: str, body: Any = None) -> Any:
        return self.client.post(url, json=body, headers=self.headers)

    def put(self, url: str, body: Any) -> Any:
        return self.client.put(url, json=body, headers=self.headers)


def draft(api: Api) -> tuple[str, int]:
    """A new declaration of EMP-0002 with the period answered: its id and revision."""
    r = expect(api.post("/api/v1/workflows/wage_declaration/submissions",
                        {"subject": EMPLOYER}), 201, "create the draft")
    sid = r.json["id"]
    r = expect(api.put(f"/api/v1/submissions/{sid}/steps/period",
                       {"data": {"period": PERIOD}, "revision": r.json["revision"]}),
               200, "answer the period")
    assert r.json["step"] == "employees", r.json["step"]
    return sid, r.json["revision"]


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if found is None:
        raise Failed("no csrf_token on the page")
    return found.group(1)


def main() -> int:
    rng = random.Random(args.seed)
    rows: list[tuple[str, str, str, bool | None]] = []  # label, figure, target, met
    phases = Phases()
    with tempfile.TemporaryDirectory() as tmp:
        phases.start()
        seconds, app = timed(lambda: make_app(tmp))
        phases.done("setup (import the data)", seconds)
        print(f"peak {peak_mb():.0f} MB; setup: demo data + {args.employees} generated"
              f" employees of {EMPLOYER} imported in {seconds:.1f} s (SQLite file in {tmp})")
        client = app.test_client()
        r = expect(client.post("/api/v1/auth/token",
                               json={"identifier": FIRM[0], "password": FIRM[1]}),
                   200, "API login of the firm")
        api = Api(client, r.json["token"])

        # 1. validate and save the employees step, on fresh drafts; submit the last one
        saves, data, sid, revision = [], None, "", 0
        for _ in range(args.rounds):
            sid, revision = draft(api)
            r = expect(api.get(f"/api/v1/submissions/{sid}/steps/employees"), 200,
                       "GET the employees step")
            prefill = (r.json.get("prefill") or {}).get("employees")
            if not prefill:
                raise Failed(f"no prefill on the employees step: keys {sorted(r.json)}")
            data = lines(prefill, rng, args.events)
            body = {"data": data, "revision": revision}
            url = f"/api/v1/submissions/{sid}/steps/employees"
            phases.start()
            seconds, r = timed(lambda url=url, body=body: api.put(url, body))
            phases.done(f"PUT employees, round {len(saves) + 1}", seconds)
            if r.status_code == 413:
                size = len(json.dumps(body, ensure_ascii=False).encode())
                limit = app.config["MAX_CONTENT_LENGTH"]
                raise Failed(f"PUT the employees step: HTTP 413, the JSON body ({size / 1e6:.2f}"
                             f" MB) is above the API's limit (MAX_CONTENT_LENGTH = "
                             f"max_request_bytes = {limit} bytes); --raise-api-limit measures "
                             "with max_request_bytes = max_step_post_bytes")
            expect(r, 200, "PUT the employees step")
            assert r.json["step"] == "summary", r.json["step"]
            revision = r.json["revision"]
            saves.append(seconds)
        assert data is not None
        with_events = sum(1 for line in data["employees"] if line.get("events"))
        print(f"employees step: {len(data['employees'])} lines, {with_events} with an event;"
              " PUT times"
              f" {', '.join(f'{t:.3f}' for t in saves)} s; peak {peak_mb():.0f} MB")
        rows.append(("PUT employees (validate+save), first", f"{saves[0]:.3f} s",
                     f"< {TARGET_SAVE:g} s", saves[0] < TARGET_SAVE))
        rows.append((f"PUT employees, best of {len(saves)}", f"{min(saves):.3f} s",
                     f"< {TARGET_SAVE:g} s", min(saves) < TARGET_SAVE))

        # 2. the step page, before the submit (a submitted draft no longer shows its steps)
        home = expect(client.get("/login"), 200, "GET /login")
        r = expect(client.post("/login", data={"csrf_token": csrf(home.get_data(as_text=True)),
                                               "identifier": FIRM[0], "password": FIRM[1]},
                               follow_redirects=True), 200, "portal login of the firm")
        r = expect(client.post("/clients/select",
                               data={"csrf_token": csrf(r.get_data(as_text=True)),
                                     "employer": EMPLOYER}, follow_redirects=True),
                   200, "select the client")
        fresh, _ = draft(api)  # only pre-filled
        for label, which in (("pre-filled", fresh), ("answered", sid)):
            url = f"/submissions/{which}/steps/employees"
            times = []
            for _ in range(args.page_rounds):
                phases.start()
                began = time.perf_counter()
                r = expect(client.get(url), 200, f"GET {url} ({label})")
                # a streamed page is drawn while it is read; only its bytes are kept (the text
                # would be twice as large: the client's copy, not the server's memory)
                page = r.get_data()
                seconds = time.perf_counter() - began
                times.append(seconds)
                phases.done(f"step page, {label}, round {len(times)}", seconds)
                shown = len(re.findall(rb'name="employees-\d+-employee_id"', page))
                size = len(page)
                del r, page  # before the next round, as a server holds no page it has sent
            rows.append((f"step page, {label} ({shown} lines, {size / 1e6:.1f} MB)",
                         f"{times[0]:.3f} / {min(times):.3f} s", "first / best", None))

        phases.start()
        seconds, r = timed(lambda: api.post(f"/api/v1/submissions/{sid}/submit",
                                            {"revision": revision}))
        expect(r, 200, "submit")
        phases.done("submit (re-validate, receipt)", seconds)
        print(f"step pages drawn, then submitted: {r.json['status']}, receipt "
              f"{r.json.get('receipt', {}).get('number')}; peak {peak_mb():.0f} MB")
        rows.append(("submit (re-validate, receipt)", f"{seconds:.3f} s", "", None))

        # 3. the declaration's PDF
        times = []
        for _ in range(args.pdf_rounds):
            phases.start()
            seconds, r = timed(lambda: client.get(f"/client/declarations/{sid}.pdf"))
            expect(r, 200, "GET the declaration's PDF")
            times.append(seconds)
            phases.done(f"declaration PDF, round {len(times)}", seconds)
        assert r.mimetype == "application/pdf", r.mimetype
        print(f"PDF times {', '.join(f'{t:.3f}' for t in times)} s; peak {peak_mb():.0f} MB")
        rows.append((f"declaration PDF ({len(r.data) / 1e6:.1f} MB), first",
                     f"{times[0]:.3f} s", f"< {TARGET_PDF:g} s", times[0] < TARGET_PDF))
        if len(times) > 1:
            rows.append((f"declaration PDF, best of {len(times)}", f"{min(times):.3f} s",
                         f"< {TARGET_PDF:g} s", min(times) < TARGET_PDF))
        app.extensions["csm"].engine.dispose()

    mb = peak_mb()
    print()
    phases.print()
    rows.append(("peak memory (ru_maxrss, whole process)", f"{mb:.0f} MB", f"< {TARGET_MB:g} MB",
                 mb < TARGET_MB))
    print()
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'figure':>15}  {'target':>12}  result")
    for label, figure, target, met in rows:
        verdict = "" if met is None else ("PASS" if met else "MISS")
        print(f"{label:<{width}}  {figure:>15}  {target:>12}  {verdict}")
    return 0 if all(met is not False for *_, met in rows) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=5000,
                        help="EMP-0002's generated workforce (the period's lines are fewer)")
    parser.add_argument("--rounds", type=int, default=3, help="fresh drafts saved")
    parser.add_argument("--page-rounds", type=int, default=2)
    parser.add_argument("--pdf-rounds", type=int, default=2)
    parser.add_argument("--events", type=float, default=0.10, help="share of lines with an event")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also the peak of Python's allocations in each phase (slower: the"
                             " times are not comparable, the process's peak is higher)")
    parser.add_argument("--raise-api-limit", action="store_true",
                        help="create the app with max_request_bytes = max_step_post_bytes: the"
                             " API's own limit refuses a 5,000-line body (413)")
    args = parser.parse_args()
    try:
        sys.exit(main())
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
