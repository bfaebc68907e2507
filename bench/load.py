"""The load client: a bounded pool of threads, one requests.Session each, a bounded task list.

Every request is timed from send to body read (client side, loopback). Tasks are whole
declarations (or, for a phase, one declaration's part), so each client runs declarations one
after another and ``concurrency`` declarations are in flight at most.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests
from database import PASSWORD
from payloads import STEPS

TIMEOUT = 30.0  # seconds per request: nothing waits forever


class TooManyErrors(RuntimeError):
    pass


@dataclass
class Recorder:
    max_errors: int = 20
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, label: str, ms: float) -> None:
        with self._lock:
            self.latencies.setdefault(label, []).append(ms)

    def fail(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)
            if len(self.errors) >= self.max_errors:
                raise TooManyErrors("; ".join(self.errors[:5]))

    def count(self, labels: list[str] | None = None) -> int:
        return sum(len(v) for k, v in self.latencies.items() if labels is None or k in labels)


@dataclass
class Http:
    """One client's HTTP calls, timed into the recorder (or not, when ``recorder`` is None)."""

    base: str
    session: requests.Session
    recorder: Recorder | None

    def call(self, label: str, method: str, path: str, expect: int, token: str | None = None,
             body: Any = None) -> requests.Response | None:
        headers = {"Accept-Language": "fr"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, json=body,
                                            headers=headers, timeout=TIMEOUT)
        except requests.RequestException as error:
            if self.recorder is not None:
                self.recorder.fail(f"{label}: {error!r}")
            else:
                raise
            return None
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            message = f"{label}: HTTP {response.status_code} {response.text[:200]}"
            if self.recorder is None:
                raise RuntimeError(message)
            self.recorder.fail(message)
            return None
        if self.recorder is not None:
            self.recorder.add(label, elapsed)
        return response


@dataclass
class Declaration:
    identifier: str
    token: str | None = None
    submission_id: str | None = None
    done: bool = False


# -- the service's API ---------------------------------------------------------------------------

def prepare(http: Http, d: Declaration) -> bool:
    """Log in, start the declaration, open the terms of use."""
    r = http.call("login", "POST", "/api/v1/auth/token", 200,
                  body={"identifier": d.identifier, "password": PASSWORD})
    if r is None:
        return False
    d.token = r.json()["token"]
    r = http.call("start", "POST", "/api/v1/workflows/resource_declaration/submissions", 201,
                  d.token)
    if r is None:
        return False
    d.submission_id = r.json()["id"]
    return http.call("open_cgu", "POST", f"/api/v1/submissions/{d.submission_id}/documents/cgu",
                     200, d.token) is not None


def answer_steps(http: Http, d: Declaration) -> bool:
    """The six step PUTs, in order."""
    if d.submission_id is None:
        return False
    for name, data, _next in STEPS:
        if http.call(name, "PUT", f"/api/v1/submissions/{d.submission_id}/steps/{name}", 200,
                     d.token, {"data": data}) is None:
            return False
    return True


def submit(http: Http, d: Declaration) -> bool:
    if d.submission_id is None:
        return False
    r = http.call("submit", "POST", f"/api/v1/submissions/{d.submission_id}/submit", 200,
                  d.token)
    if r is None:
        return False
    status = r.json().get("status")
    if status != "submitted":
        if http.recorder is not None:
            http.recorder.fail(f"submit: status {status!r}")
        return False
    d.done = True
    return True


def full(http: Http, d: Declaration) -> bool:
    return prepare(http, d) and answer_steps(http, d) and submit(http, d)


# -- the bare baseline ---------------------------------------------------------------------------

def bare_steps(http: Http, _d: Declaration) -> bool:
    """The same six payloads, PUT to the bare endpoint (a made-up submission id)."""
    sid = str(uuid.uuid4())
    for name, data, _next in STEPS:
        if http.call("bare_put", "PUT", f"/bare/{sid}/steps/{name}", 200, None,
                     {"data": data}) is None:
            return False
    return True


# -- running -------------------------------------------------------------------------------------

def run_phase(base: str, work: Callable[[Http, Declaration], bool], items: list[Declaration],
              concurrency: int, recorder: Recorder | None) -> float:
    """Run ``work`` on every item with at most ``concurrency`` at once; wall seconds."""
    local = threading.local()
    sessions: list[requests.Session] = []
    sessions_lock = threading.Lock()

    def task(item: Declaration) -> bool:
        http = getattr(local, "http", None)
        if http is None:
            session = requests.Session()
            with sessions_lock:
                sessions.append(session)
            http = local.http = Http(base, session, recorder)
        return work(http, item)

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="client") as pool:
            futures = [pool.submit(task, item) for item in items]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    finally:
        for session in sessions:
            session.close()
    return time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
