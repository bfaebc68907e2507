"""The mail outbox: written with the change, delivered after the commit over a real SMTP exchange
(aiosmtpd on 127.0.0.1), retried with backoff, once per message even with two workers, and read
in the local mailbox by a developer. SQLite and PostgreSQL (``TEST_DATABASE_URL``)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from bs4 import BeautifulSoup
from sqlalchemy import event, func, select

from web import create_app
from web.db.models import OutboxMessage
from web.db.session import make_sessions
from web.mail.delivery import deliver_pending, message_id, retry_delay
from web.mail.outbox import enqueue
from web.settings import ROOT, Settings, SettingsError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SUBJECT = "Vérifiez votre adresse électronique"
BODY = ("Bonjour Hélène,\n\nVérifiez votre adresse électronique en ouvrant ce lien :\n"
        "https://services.example.mc/verify-email?token=abc&lang=fr\n\n"
        "Caisses Sociales de Monaco — ne répondez pas à ce message.")
TO = "helene.test@example.org"


class Recorder:
    """An aiosmtpd handler keeping what it accepted; it can refuse recipients, or be slow."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.rcpt_calls = 0
        self.refuse: str | None = None
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_calls += 1
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.original_content, policy=policy.default)
                for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


def smtp_settings(settings: Settings, port: int, **extra) -> Settings:
    return replace(settings, mail_backend="smtp", mail_host="127.0.0.1", mail_port=port,
                   mail_timeout_seconds=5, **extra)


@pytest.fixture
def mail_app(settings, smtp_server):
    app = create_app(smtp_settings(settings, smtp_server.port))
    app.config["TESTING"] = True
    yield app
    app.extensions["csm"].engine.dispose()


def services_of(app):
    return app.extensions["csm"]


def queue(app, *, to: str = TO, subject: str = SUBJECT, body: str = BODY,
          now: datetime = NOW) -> int:
    with services_of(app).sessions.begin() as session:
        row = enqueue(session, kind="verify_email", to=to, subject=subject, body=body, now=now)
        session.flush()
        return row.id


def row_of(app, message_id_: int) -> OutboxMessage:
    with services_of(app).sessions() as session:
        row = session.get(OutboxMessage, message_id_)
        assert row is not None
        return row


def deliver(app, now: datetime = NOW, settings: Settings | None = None, **kw):
    services = services_of(app)
    return deliver_pending(services.sessions, settings or services.settings, now, **kw)


# --- the transaction decides -------------------------------------------------------------------

def test_a_message_queued_in_a_rolled_back_transaction_is_never_sent(mail_app, smtp_server):
    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        with services_of(mail_app).sessions.begin() as session:
            enqueue(session, kind="verify_email", to=TO, subject=SUBJECT, body=BODY, now=NOW)
            session.flush()  # even written to the database inside the transaction
            raise Refused
    report = deliver(mail_app)
    assert report.sent == [] and smtp_server.envelopes == [] and smtp_server.rcpt_calls == 0
    with services_of(mail_app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_committed_message_is_delivered_once_in_utf8_with_its_headers(mail_app, smtp_server):
    ident = queue(mail_app)
    assert smtp_server.envelopes == []  # committed, but nothing sent until the worker runs
    report = deliver(mail_app)
    assert report.sent == [ident] and report.retried == [] and report.gave_up == []
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "no-reply@caisses-sociales.mc"
    assert envelope.rcpt_tos == [TO]
    [mail] = smtp_server.messages()
    assert mail["From"] == "Caisses Sociales de Monaco <no-reply@caisses-sociales.mc>"
    assert mail["To"] == TO
    assert mail["Subject"] == SUBJECT  # RFC 2047 on the wire, decoded back here
    assert mail["Date"] and mail["Auto-Submitted"] == "auto-generated"
    row = row_of(mail_app, ident)
    assert mail["Message-ID"] == message_id(row, services_of(mail_app).settings)
    assert mail["Message-ID"].startswith(f"<outbox.{ident}.")
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content().replace("\r\n", "\n").rstrip("\n") == BODY  # CRLF on the wire
    assert b"\xc3\xa9" not in envelope.original_content  # 7-bit safe on the wire (QP)
    assert row.sent_at == NOW and row.attempts == 1 and row.last_error is None

    again = deliver(mail_app, NOW + timedelta(hours=2))
    assert again.sent == [] and len(smtp_server.envelopes) == 1  # running twice sends once


def test_mail_send_command_delivers_and_prints_a_summary(mail_app, smtp_server):
    queue(mail_app)
    queue(mail_app, to="paul.test@example.org", subject="Mot de passe modifié")
    runner = mail_app.test_cli_runner()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sent 2, to retry 0, given up 0")
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == [TO, "paul.test@example.org"]
    again = runner.invoke(args=["mail", "send"])
    assert again.exit_code == 0 and again.output.startswith("sent 0,")
    assert len(smtp_server.envelopes) == 2


def test_a_resend_after_a_crash_before_the_commit_carries_the_same_message_id(
        mail_app, smtp_server):
    """At least once: the SMTP exchange happened, the commit did not, so it is sent again, and
    the repeat is recognisable by its Message-ID."""
    ident = queue(mail_app)
    crashing = make_sessions(services_of(mail_app).engine)

    def crash(_session) -> None:
        raise RuntimeError("worker killed between the SMTP exchange and the commit")

    event.listen(crashing, "before_commit", crash)
    with pytest.raises(RuntimeError):
        deliver_pending(crashing, services_of(mail_app).settings, NOW)
    assert len(smtp_server.envelopes) == 1
    row = row_of(mail_app, ident)
    assert row.sent_at is None and row.attempts == 0  # the transaction never happened
    assert deliver(mail_app).sent == [ident]
    first, second = smtp_server.messages()
    assert first["Message-ID"] == second["Message-ID"]
    assert deliver(mail_app).sent == [] and len(smtp_server.envelopes) == 2


# --- failures: backoff, giving up --------------------------------------------------------------

def test_a_refused_message_is_put_off_then_sent(mail_app, smtp_server):
    ident = queue(mail_app)
    smtp_server.refuse = "550 5.1.1 Mailbox unavailable"
    report = deliver(mail_app)
    assert report.sent == [] and report.retried == [ident] and smtp_server.rcpt_calls == 1
    row = row_of(mail_app, ident)
    assert row.sent_at is None and row.attempts == 1
    assert row.last_error is not None and "550" in row.last_error \
        and "Mailbox unavailable" in row.last_error
    assert row.next_attempt_at == NOW + timedelta(minutes=1)

    smtp_server.refuse = None
    early = deliver(mail_app, NOW + timedelta(seconds=59))
    assert early.sent == [] and smtp_server.rcpt_calls == 1  # the server was not even asked
    later = deliver(mail_app, NOW + timedelta(minutes=1))
    assert later.sent == [ident] and len(smtp_server.envelopes) == 1
    row = row_of(mail_app, ident)
    assert row.sent_at == NOW + timedelta(minutes=1) and row.attempts == 2
    assert row.last_error is None and row.next_attempt_at is None


def test_smtp_down_puts_the_message_off_and_stops_the_pass(settings, smtp_server):
    closed = free_port()
    app = create_app(smtp_settings(settings, closed))
    try:
        first, second = queue(app), queue(app, to="paul.test@example.org")
        report = deliver(app)
        assert report.sent == [] and report.retried == [first]
        assert report.stopped is not None and "Connection" in report.stopped
        row = row_of(app, first)
        assert row.attempts == 1 and row.sent_at is None
        assert row.last_error is not None and "ConnectionRefusedError" in row.last_error
        assert row.next_attempt_at == NOW + timedelta(minutes=1)
        assert row_of(app, second).attempts == 0  # the pass stopped: no pointless retry storm

        up = smtp_settings(settings, smtp_server.port)  # the server is back
        before = deliver(app, NOW + timedelta(seconds=30), up)
        assert before.sent == [second] and [e.rcpt_tos for e in smtp_server.envelopes] == \
            [["paul.test@example.org"]]
        after = deliver(app, NOW + timedelta(minutes=1), up)
        assert after.sent == [first] and len(smtp_server.envelopes) == 2
    finally:
        app.extensions["csm"].engine.dispose()


def test_backoff_doubles_and_a_message_is_given_up_after_the_last_attempt(settings):
    assert [retry_delay(n) for n in (1, 2, 3, 4, 7, 8, 30)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 60, 60, 60)]
    app = create_app(smtp_settings(settings, free_port(), mail_max_attempts=3))
    try:
        ident = queue(app)
        when = NOW
        for attempt, delay in ((1, 1), (2, 2)):
            report = deliver(app, when)
            row = row_of(app, ident)
            assert report.retried == [ident] and row.attempts == attempt
            assert row.next_attempt_at == when + timedelta(minutes=delay)
            when = row.next_attempt_at
        last = deliver(app, when)
        assert last.gave_up == [ident] and last.retried == [] and last.dead_letters == 1
        assert "given up 1" in last.as_text()
        row = row_of(app, ident)
        assert row.attempts == 3 and row.sent_at is None and row.last_error
        assert row.next_attempt_at is None
        much_later = deliver(app, when + timedelta(days=3))
        assert much_later.handled == 0 and much_later.dead_letters == 1
        assert row_of(app, ident).attempts == 3
    finally:
        app.extensions["csm"].engine.dispose()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_is_used_and_a_refused_login_leaves_no_password_in_last_error(settings):
    handler = Recorder()

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=(auth_data.login, auth_data.password) ==
                          (b"outbox", b"Right-Pa55word"), handled=False)  # answers 535

    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            authenticator=authenticator, auth_required=True,
                            auth_require_tls=False)
    controller.start()
    app = create_app(smtp_settings(settings, controller.port))
    try:
        ident = queue(app)
        wrong = smtp_settings(settings, controller.port, mail_username="outbox",
                              mail_password="Wr0ng-Secret-Pa55")
        report = deliver(app, NOW, wrong)
        row = row_of(app, ident)
        assert report.retried == [ident] and handler.envelopes == []
        assert row.last_error is not None and "535" in row.last_error
        assert "Wr0ng-Secret-Pa55" not in row.last_error and "outbox" not in row.last_error
        assert "Wr0ng-Secret-Pa55" not in repr(wrong)

        anonymous = deliver(app, NOW + timedelta(minutes=1))  # auth_required: refused too
        assert anonymous.retried == [ident] and handler.envelopes == []

        right = replace(wrong, mail_password="Right-Pa55word")
        assert deliver(app, NOW + timedelta(minutes=5), right).sent == [ident]
        assert len(handler.envelopes) == 1
    finally:
        controller.stop()
        app.extensions["csm"].engine.dispose()


# --- header injection --------------------------------------------------------------------------

@pytest.mark.parametrize("to,subject", [
    ("helene@example.org\r\nBcc: everyone@evil.example", SUBJECT),
    ("helene@example.org\nBcc: everyone@evil.example", SUBJECT),
    (TO, "Bonjour\r\nBcc: everyone@evil.example"),
    (TO, "Bonjour\nX-Injected: yes"),
    (TO, "Bonjour\rX-Injected: yes"),
    (TO, "Bonjour\u2028X-Injected: yes"),
    ("helene@example.org, everyone@evil.example", SUBJECT),
    ("Hélène <helene@example.org>", SUBJECT),
    ("not-an-address", SUBJECT),
    (TO, ""),
])
def test_header_injection_and_malformed_addresses_are_refused(app, to, subject):
    with services_of(app).sessions() as session:
        with pytest.raises(ValueError):
            enqueue(session, kind="verify_email", to=to, subject=subject, body=BODY, now=NOW)
        assert not session.new  # nothing joined the transaction


def test_a_row_written_around_enqueue_is_given_up_not_sent(mail_app, smtp_server):
    with services_of(mail_app).sessions.begin() as session:
        row = OutboxMessage(created_at=NOW, kind="x", to_address=TO, subject="a\nBcc: x@y.z",
                            body_text="b", attempts=0)
        session.add(row)
        session.flush()
        ident = row.id
    report = deliver(mail_app)
    assert report.gave_up == [ident] and smtp_server.rcpt_calls == 0
    assert row_of(mail_app, ident).last_error.startswith("invalid message")


# --- the local mailbox -------------------------------------------------------------------------

def test_the_local_backend_marks_sent_and_the_mailbox_shows_the_message(app, client):
    assert services_of(app).settings.mail_backend == "local"  # the embedded default
    older = queue(app, subject="Ancien message", body="rien", now=NOW - timedelta(hours=1))
    body = BODY + ("\n<script>alert(1)</script> javascript:alert(2)"
                   "\nhttps://evil.example/\"onmouseover=\"alert(3)")
    ident = queue(app, body=body)
    report = deliver(app)
    assert sorted(report.sent) == sorted([older, ident])
    assert row_of(app, ident).sent_at == NOW

    page = client.get("/dev/mailbox/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    soup = BeautifulSoup(page.data, "html.parser")
    rows = soup.select("table.table tbody tr")
    assert [r.find("a").get_text() for r in rows] == [SUBJECT, "Ancien message"]  # newest first
    assert TO in rows[0].get_text()
    link = rows[0].find("a")["href"]
    assert link == f"/dev/mailbox/{ident}"

    shown = client.get(link)
    assert shown.status_code == 200 and shown.mimetype == "text/html"
    soup = BeautifulSoup(shown.data, "html.parser")
    assert soup.find("h1").get_text() == SUBJECT
    anchors = soup.select(".mailbox-body a")
    assert [a["href"] for a in anchors] == [
        "https://services.example.mc/verify-email?token=abc&lang=fr", "https://evil.example/"]
    assert all(set(a.attrs) == {"href", "rel"} for a in anchors)  # no smuggled attribute
    assert b"verify-email?token=abc&amp;lang=fr" in shown.data  # escaped in the attribute
    assert soup.find("script") is None and "<script>alert(1)</script>" in soup.get_text()
    assert "Vérifiez votre adresse électronique en ouvrant ce lien" in soup.get_text()
    assert "script-src" not in shown.headers["Content-Security-Policy"]  # no inline script
    assert client.get("/dev/mailbox/999999").status_code == 404


def test_there_is_no_mailbox_with_the_smtp_backend(mail_app):
    assert not any(r.rule.startswith("/dev/") for r in mail_app.url_map.iter_rules())
    assert mail_app.test_client().get("/dev/mailbox/").status_code == 404


def test_the_mailbox_refuses_if_the_settings_turn_to_production(app, client):
    assert client.get("/dev/mailbox/").status_code == 200
    services = app.extensions["csm"]
    app.extensions["csm"] = replace(services, settings=replace(
        services.settings, environment="production"))
    assert client.get("/dev/mailbox/").status_code == 404


def test_a_production_app_has_no_mailbox(app, settings):
    """Production refuses SQLite, so this runs on PostgreSQL (the ``app`` fixture migrated it)."""
    if settings.database_url.startswith("sqlite"):
        pytest.skip("production needs PostgreSQL: set TEST_DATABASE_URL")
    production = replace(settings, environment="production", frozen_today=None,
                         password_hash_profile="default", secret_key="p" * 40,
                         mail_backend="smtp", mail_host="127.0.0.1")
    prod_app = create_app(production)
    try:
        assert not any(r.rule.startswith("/dev/") for r in prod_app.url_map.iter_rules())
        r = prod_app.test_client().get("/dev/mailbox/", base_url="https://localhost")
        assert r.status_code == 404
    finally:
        prod_app.extensions["csm"].engine.dispose()


def test_settings_refuse_the_local_mailbox_in_production():
    safe = {"ENVIRONMENT": "production", "SECRET_KEY": "k" * 40,
            "DATABASE_URL": "postgresql+psycopg://h/db"}
    with pytest.raises(SettingsError, match="MAIL_BACKEND=smtp"):
        Settings.from_env(safe).check()
    with pytest.raises(SettingsError, match="MAIL_HOST"):
        Settings.from_env({**safe, "MAIL_BACKEND": "smtp"}).check()
    with pytest.raises(SettingsError, match="in clear"):
        Settings.from_env({**safe, "MAIL_BACKEND": "smtp", "MAIL_HOST": "smtp.example.mc",
                           "MAIL_USERNAME": "outbox", "MAIL_PASSWORD": "pw"}).check()
    with pytest.raises(SettingsError, match="MAIL_SECURITY"):
        Settings.from_env({"MAIL_SECURITY": "tls"}).check()
    with pytest.raises(SettingsError, match="MAIL_BACKEND"):
        Settings.from_env({"MAIL_BACKEND": "sendmail"}).check()
    ok = Settings.from_env({**safe, "MAIL_BACKEND": "smtp", "MAIL_HOST": "smtp.example.mc",
                            "MAIL_PORT": "587", "MAIL_SECURITY": "starttls",
                            "MAIL_USERNAME": "outbox", "MAIL_PASSWORD": "pw",
                            "MAIL_MAX_ATTEMPTS": "5"}).check()
    assert (ok.mail_port, ok.mail_max_attempts, ok.mail_security) == (587, 5, "starttls")
    assert Settings.from_env({}).check().mail_backend == "local"


# --- concurrency and the worker ----------------------------------------------------------------

@pytest.mark.pg
def test_two_concurrent_deliverers_send_each_message_once(mail_app, settings, smtp_server):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has no FOR UPDATE SKIP LOCKED: set TEST_DATABASE_URL")
    ids = [queue(mail_app, to=f"member{n}@example.org") for n in range(24)]
    smtp_server.delay = 0.02  # each exchange takes a while: the two workers overlap
    services = services_of(mail_app)
    start = threading.Barrier(2)
    reports: dict[str, object] = {}

    def worker(name: str) -> None:
        sessions = make_sessions(services.engine)  # each its own sessions and connections
        start.wait()
        reports[name] = deliver_pending(sessions, services.settings, NOW)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    a, b = reports["a"], reports["b"]
    assert set(a.sent).isdisjoint(b.sent) and sorted(a.sent + b.sent) == ids
    assert a.sent and b.sent  # both really worked
    assert len(smtp_server.envelopes) == 24
    assert len({m["Message-ID"] for m in smtp_server.messages()}) == 24
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == \
        sorted(f"member{n}@example.org" for n in range(24))


def test_the_worker_loop_delivers_and_stops_cleanly_on_sigterm(mail_app, settings, smtp_server):
    queue(mail_app)
    env = {**os.environ, "ENVIRONMENT": "test", "DATABASE_URL": settings.database_url,
           "SECRET_KEY": settings.secret_key, "PASSWORD_HASH_PROFILE": "cheapest",
           "FROZEN_TODAY": NOW.date().isoformat(), "MAIL_BACKEND": "smtp",
           "MAIL_HOST": "127.0.0.1", "MAIL_PORT": str(smtp_server.port),
           "MAIL_TIMEOUT_SECONDS": "5"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "web", "mail", "send", "--loop",
         "--interval", "0.2"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not smtp_server.envelopes and time.monotonic() < deadline \
                and worker.poll() is None:
            time.sleep(0.1)
        assert len(smtp_server.envelopes) == 1, worker.stderr.read() if worker.poll() else ""
        queue(mail_app, to="paul.test@example.org")  # picked up by a later pass
        while len(smtp_server.envelopes) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("delivering every 0.2 s (smtp)")
    assert lines[-1] == "stopped"
    # two messages in one or two passes: the second may join a pass still running (busy host)
    assert sum(int(line.split(",")[0].removeprefix("sent ")) for line in lines
               if line.startswith("sent ")) == 2
    assert len(smtp_server.envelopes) == 2
