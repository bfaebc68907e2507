"""Where a step PUT spends its time, in process (Flask test client, same PostgreSQL schema).

No gunicorn, no sockets between client and app: what is left is the request handling itself and
its database round trips. Gives, for the service and for the bare endpoint, the wall and CPU ms
per PUT (wall − CPU ≈ waiting for PostgreSQL), the SQL of one PUT, and the CPU hot spots of the
service's PUTs (cProfile with a CPU clock), by function and by package.
"""

from __future__ import annotations

import cProfile
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from database import PASSWORD
from engine_bench import by_package, hot_spots
from payloads import STEPS
from sqlalchemy import event


@dataclass
class Cost:
    wall_ms: float
    cpu_ms: float


@dataclass
class ApiProfile:
    puts: int
    api: Cost
    bare: Cost
    statements_per_put: float
    statements_by_kind: dict[str, float]
    one_put: list[str]
    functions: list[tuple[str, float, float, int]]
    packages: list[tuple[str, float]]
    project_cumulative: list[tuple[str, float, float, int]] = field(default_factory=list)


def _prepare(client: Any, identifier: str) -> tuple[dict[str, str], str]:
    r = client.post("/api/v1/auth/token", json={"identifier": identifier, "password": PASSWORD})
    assert r.status_code == 200, r.json
    headers = {"Authorization": f"Bearer {r.json['token']}", "Accept-Language": "fr"}
    r = client.post("/api/v1/workflows/resource_declaration/submissions", headers=headers)
    assert r.status_code == 201, r.json
    sid = r.json["id"]
    assert client.post(f"/api/v1/submissions/{sid}/documents/cgu",
                       headers=headers).status_code == 200
    return headers, sid


def _put_all(client: Any, prepared: list[tuple[dict[str, str], str]]) -> Cost:
    wall, cpu = time.perf_counter(), time.process_time()
    for headers, sid in prepared:
        for name, data, _next in STEPS:
            r = client.put(f"/api/v1/submissions/{sid}/steps/{name}", json={"data": data},
                           headers=headers)
            assert r.status_code == 200, r.json
    n = len(prepared) * len(STEPS)
    return Cost((time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000)


def _trace_one(engine: Any, client: Any, headers: dict[str, str], sid: str) -> list[str]:
    """Every database round trip of one PUT, in order (statements, transactions, pool)."""
    trace: list[str] = []
    listeners: list[tuple[Any, str, Any]] = [
        (engine, "before_cursor_execute",
         lambda _c, _cur, sql, *_a: trace.append(" ".join(sql.split())[:96])),
        (engine.pool, "checkout", lambda *_a: trace.append("<pool checkout + pre-ping>")),
        (engine.pool, "checkin", lambda *_a: trace.append("<pool checkin>"))]
    for name in ("begin", "commit", "rollback"):
        listeners.append((engine, name, lambda _c, name=name: trace.append(f"<{name.upper()}>")))
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        name, data, _next = STEPS[0]
        r = client.put(f"/api/v1/submissions/{sid}/steps/{name}", json={"data": data},
                       headers=headers)
        assert r.status_code == 200, r.json
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)
    return trace


def run(app: Any, bare: Any, identifiers: list[str], top: int = 15) -> ApiProfile:
    client = app.test_client()
    prepared = [_prepare(client, i) for i in identifiers]
    engine = app.extensions["csm"].engine
    traced, prepared = prepared[0], prepared[1:]
    one_put = _trace_one(engine, client, *traced)
    half = len(prepared) // 2
    statements: dict[str, int] = {}

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        kind = sql.lstrip().split(None, 1)[0].upper()
        statements[kind] = statements.get(kind, 0) + 1

    # first half: timing (wall and CPU) and statement counts
    event.listen(engine, "before_cursor_execute", count)
    try:
        api_cost = _put_all(client, prepared[:half])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    timed_puts = half * len(STEPS)
    # second half: under the profiler, on a CPU clock (waiting for PostgreSQL is not counted)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    try:
        _put_all(client, prepared[half:])
    finally:
        profiler.disable()
    # the bare endpoint: the same payloads, as many PUTs
    bare_client = bare.test_client()
    for _ in range(20):  # warm up
        bare_client.put(f"/bare/{uuid.uuid4()}/steps/terms", json={"data": STEPS[0][1]})
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(half):
        sid = str(uuid.uuid4())
        for name, data, _next in STEPS:
            assert bare_client.put(f"/bare/{sid}/steps/{name}",
                                   json={"data": data}).status_code == 200
    bare_cost = Cost((time.perf_counter() - wall) / timed_puts * 1000,
                     (time.process_time() - cpu) / timed_puts * 1000)
    return ApiProfile(
        puts=timed_puts, api=api_cost, bare=bare_cost,
        statements_per_put=sum(statements.values()) / timed_puts,
        statements_by_kind={k: v / timed_puts for k, v in sorted(statements.items())},
        one_put=one_put, functions=hot_spots(profiler, top), packages=by_package(profiler),
        project_cumulative=hot_spots(profiler, top, cumulative=True, project_only=True))
