"""Two real server processes, one PostgreSQL schema: the login counters are shared (issue 4,
point 2; SECURITY.md AUTH-04 "never in process memory").

Two gunicorn masters (two workers each) serve ``web:create_app()`` configured from the
environment, as in production. Failed logins alternate between them: each process sees only half
of them, yet the lock falls after the configured total and holds on both.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select, text

from tests.conftest import PG_URL
from tests.factories import member
from web import create_app
from web.db.models import Account, LoginRecord, LoginThrottle
from web.login import throttle_key
from web.passwords import Passwords
from web.settings import ROOT, Settings

pytestmark = [pytest.mark.pg,
              pytest.mark.skipif(PG_URL is None, reason="two processes share PostgreSQL:"
                                                        " needs TEST_DATABASE_URL")]

MAX_FAILURES = 4
WRONG = "Pas-le-bon-93"


@pytest.fixture
def schema_url() -> Iterator[str]:
    assert PG_URL is not None
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One gunicorn master with two workers, its log in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port, self.log = free_port(), log
        self.base = f"http://127.0.0.1:{self.port}"
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "2", "--graceful-timeout", "5", "web:create_app()"],
            cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server exited: {self.log.read_text('utf-8', 'replace')}")
            try:
                if requests.get(f"{self.base}/api/v1/openapi.json", timeout=10).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        pytest.fail(f"server not ready: {self.log.read_text('utf-8', 'replace')}")

    def login(self, identifier: str, password: str) -> requests.Response:
        return requests.post(f"{self.base}/api/v1/auth/token", timeout=10,
                             json={"identifier": identifier, "password": password})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log_file.close()


def body(r: requests.Response) -> dict[str, Any]:
    found = dict(r.json())
    found.pop("request_id", None)
    return found


def test_two_processes_share_the_failure_count_and_the_lock(schema_url: str,
                                                            tmp_path: Path) -> None:
    secret = secrets.token_hex(32)
    settings = Settings(environment="test", database_url=schema_url, secret_key=secret,
                        definitions_dir=ROOT, password_hash_profile="cheapest",
                        login_max_failures=MAX_FAILURES)
    app = create_app(settings)  # migrates and syncs the definitions once, before the servers
    who = member(app)
    services = app.extensions["csm"]
    env = {**os.environ, "ENVIRONMENT": "test", "DATABASE_URL": schema_url,
           "SECRET_KEY": secret, "PASSWORD_HASH_PROFILE": "cheapest",
           "DEFINITIONS_DIR": str(ROOT), "LOGIN_MAX_FAILURES": str(MAX_FAILURES),
           "LOGIN_LOCK_MINUTES": "60",
           # no progressive delay here: the failures follow each other at once (the delay has
           # its own tests, with a clock that can be moved)
           "LOGIN_DELAY_AFTER": str(MAX_FAILURES + 10), "PYTHONPATH": str(ROOT)}
    env.pop("FROZEN_TODAY", None)
    servers = [Server(env, tmp_path / "a.log"), Server(env, tmp_path / "b.log")]
    try:
        for server in servers:
            server.wait_ready()
        a, b = servers
        assert a.port != b.port
        assert a.login(who.identifier, who.password).status_code == 200  # both serve the
        assert b.login(who.identifier, who.password).status_code == 200  # same accounts
        wrong_answers = []
        for n in range(MAX_FAILURES):  # a, b, a, b: each process sees only half of them
            r = servers[n % 2].login(who.identifier, WRONG)
            assert r.status_code == 401, r.text
            wrong_answers.append(body(r))
            with services.sessions() as s:
                row = s.get(LoginThrottle, throttle_key(who.identifier))
                assert row is not None
                if n < MAX_FAILURES - 1:  # one counter for both, counting every failure
                    assert (row.failures, row.locked_until) == (n + 1, None)
                else:
                    assert row.locked_until is not None
        for server in servers:  # locked on both, the right password included, same answer
            r = server.login(who.identifier, who.password)
            assert r.status_code == 401, r.text
            assert "Retry-After" not in r.headers
            assert body(r) == wrong_answers[0]
            assert "token" not in r.json()
        with services.sessions() as s:
            outcomes = s.scalars(select(LoginRecord.outcome).where(
                LoginRecord.account_id == who.account_id).order_by(LoginRecord.id)).all()
        assert outcomes == ["success", "success"] + ["refused"] * MAX_FAILURES + ["locked"] * 2
        # so failures arriving together on both processes overlap; all are counted (the row is
        # locked while a failure is counted: no update is lost)
        other = member(app)
        with services.sessions.begin() as s:  # a real argon2id hash: each check takes a while,
            s.get(Account, other.account_id).password_hash = Passwords().hash(other.password)
        assert a.login(other.identifier, WRONG).status_code == 401  # the counter row exists
        with ThreadPoolExecutor(max_workers=MAX_FAILURES) as pool:
            answers = list(pool.map(lambda n: servers[n % 2].login(other.identifier, WRONG),
                                    range(MAX_FAILURES - 2)))
        assert [r.status_code for r in answers] == [401] * (MAX_FAILURES - 2)
        with services.sessions() as s:
            row = s.get(LoginThrottle, throttle_key(other.identifier))
            assert row is not None and (row.failures, row.locked_until) == (MAX_FAILURES - 1, None)
        assert b.login(other.identifier, other.password).status_code == 200  # not locked yet
    finally:
        for server in servers:
            server.stop()
        services.engine.dispose()
    # each process logged its own security events, as JSON lines, without the password
    logged = []
    for server in servers:
        text_ = server.log.read_text("utf-8", "replace")
        assert who.password not in text_ and WRONG not in text_
        logged += [json.loads(line)["event"] for line in text_.splitlines()
                   if line.startswith('{"event":')]
    assert logged.count("login_refused") == 2 * MAX_FAILURES - 1
    assert logged.count("login_locked") == 2 and logged.count("account_locked") == 1
