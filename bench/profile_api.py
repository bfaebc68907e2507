"""Where a step PUT spends its time, in process (Flask test client, same PostgreSQL schema).

No gunicorn, no sockets: what is left is the request handling itself. Gives the mean ms per
PUT for the service and for the bare endpoint, the SQL statements per PUT, and the hot spots
(cProfile own time) of the service's PUTs, by function and by package.
"""

from __future__ import annotations

import cProfile
import time
import uuid
from dataclasses import dataclass
from typing import Any

from database import PASSWORD
from engine_bench import by_package, hot_spots
from payloads import STEPS
from sqlalchemy import event


@dataclass
class ApiProfile:
    puts: int
    api_ms_per_put: float
    bare_ms_per_put: float
    statements_per_put: float
    statements_by_kind: dict[str, float]
    functions: list[tuple[str, float, float, int]]
    packages: list[tuple[str, float]]
    project_cumulative: list[tuple[str, float, float, int]]


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


def run(app: Any, bare: Any, identifiers: list[str], top: int = 15) -> ApiProfile:
    client = app.test_client()
    prepared = [_prepare(client, i) for i in identifiers]
    engine = app.extensions["csm"].engine
    statements: dict[str, int] = {}

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        kind = sql.lstrip().split(None, 1)[0].upper()
        statements[kind] = statements.get(kind, 0) + 1

    half = len(prepared) // 2
    # first half: plain timing and statement counting
    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    for headers, sid in prepared[:half]:
        for name, data, _next in STEPS:
            r = client.put(f"/api/v1/submissions/{sid}/steps/{name}", json={"data": data},
                           headers=headers)
            assert r.status_code == 200, r.json
    api_seconds = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", count)
    timed_puts = half * len(STEPS)
    # second half: under the profiler
    profiler = cProfile.Profile()
    for headers, sid in prepared[half:]:
        for name, data, _next in STEPS:
            profiler.enable()
            r = client.put(f"/api/v1/submissions/{sid}/steps/{name}", json={"data": data},
                           headers=headers)
            profiler.disable()
            assert r.status_code == 200, r.json
    # the bare endpoint, same payloads, same count
    bare_client = bare.test_client()
    for _ in range(20):  # warm up
        bare_client.put(f"/bare/{uuid.uuid4()}/steps/terms", json={"data": STEPS[0][1]})
    started = time.perf_counter()
    for _ in range(half):
        sid = str(uuid.uuid4())
        for name, data, _next in STEPS:
            assert bare_client.put(f"/bare/{sid}/steps/{name}",
                                   json={"data": data}).status_code == 200
    bare_seconds = time.perf_counter() - started
    return ApiProfile(
        puts=timed_puts, api_ms_per_put=api_seconds / timed_puts * 1000,
        bare_ms_per_put=bare_seconds / timed_puts * 1000,
        statements_per_put=sum(statements.values()) / timed_puts,
        statements_by_kind={k: v / timed_puts for k, v in sorted(statements.items())},
        functions=hot_spots(profiler, top), packages=by_package(profiler),
        project_cumulative=hot_spots(profiler, top, cumulative=True, project_only=True))
