"""End-to-end browser tests: the real app on a real socket, driven by a headless Chromium.

* ``live_server``: the app (``create_app`` with the test settings, CSRF on) served by werkzeug on
  127.0.0.1 and a free port, in a daemon thread; one fresh database per test, SQLite and, when
  ``TEST_DATABASE_URL`` is set, PostgreSQL (the ``database_url`` fixture of tests/conftest.py).
* ``browser`` (session): Debian's /usr/bin/chromium through Playwright, never Playwright's own
  download. ``page``, ``phone_page``, ``nojs_page``: a new browser context each, whose relative
  URLs (``page.goto("/login")``) go to the live server; ``new_page(**options)`` makes others.
* ``check_a11y(page, name)``: axe-core, WCAG 2.0/2.1 A and AA; ``shot(page, name)``: a full-page
  screenshot under test-artifacts/screenshots/<test>/.
* ``demo_member``: a member with a spouse and two children, and the open resource campaign.
* ``smtp_capture``: an aiosmtpd server on 127.0.0.1 keeping the messages it receives;
  ``live_server_smtp``: the live server with ``mail_backend="smtp"`` pointed at it.

Every test here is marked ``browser``. It runs when /usr/bin/chromium exists; without it, it is
skipped, unless ``RUN_BROWSER_TESTS=1`` (set by ``CI=true scripts/test``), where it errors out.
A page that receives a 5xx answer or raises an uncaught JavaScript error fails its test, and a
failing test leaves a screenshot of each of its open pages.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, make_server

from tests.factories import Member, member
from web import create_app
from web.settings import ROOT, Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "fr-FR"}
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True,
         "locale": "fr-FR"}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 10_000
"""Playwright's default wait is 30 s; a local page that takes 10 s is broken already."""

HERE = Path(__file__).resolve().parent


# --- when to run -------------------------------------------------------------------------------

def _browser_tests_required() -> bool:
    return os.environ.get("RUN_BROWSER_TESTS", "").strip().lower() in ("1", "true", "yes")


def _chromium_missing() -> bool:
    return not os.access(CHROMIUM, os.X_OK)


def _fail_without_chromium() -> None:
    pytest.fail(f"RUN_BROWSER_TESTS=1 but {CHROMIUM} is missing: install Debian's chromium"
                " (apt-get install chromium), as `CI=true scripts/test` does", pytrace=False)


def _require_chromium() -> None:
    """Run when Chromium is there; skip when it is not, unless RUN_BROWSER_TESTS=1 demands it."""
    if not _chromium_missing():
        return
    if _browser_tests_required():
        _fail_without_chromium()
    pytest.skip(f"browser test: {CHROMIUM} is missing (apt-get install chromium to run it,"
                " or set RUN_BROWSER_TESTS=1 to make its absence an error)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    demanded_but_missing = _browser_tests_required() and _chromium_missing()
    for item in items:
        if HERE not in item.path.resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if demanded_but_missing and isinstance(item, pytest.Function):
            # A FAILED test rather than a setup ERROR: no server nor browser to start, the test
            # itself reports the missing browser.
            item.setup = lambda: None  # type: ignore[method-assign]
            item.runtest = _fail_without_chromium  # type: ignore[method-assign]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") is not None \
            and getattr(item, "runtest", None) is not _fail_without_chromium:
        _require_chromium()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps each phase's report on the item, for the failure screenshots."""
    report = yield
    setattr(item, f"_e2e_report_{report.when}", report)
    return report


# --- the live server ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LiveServer:
    url: str
    """The base URL, without a trailing slash: ``http://127.0.0.1:<port>``."""
    app: Flask


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The real app on a real socket; stopped, with its connections and threads, afterwards."""
    with _serving(settings) as server:
        yield server


@contextmanager
def _serving(settings: Settings) -> Iterator[LiveServer]:
    """``create_app(settings)`` served on 127.0.0.1 and a free port until the block ends."""
    app = create_app(settings)
    server = cast(ThreadedWSGIServer, make_server("127.0.0.1", 0, app, threaded=True))
    port = server.socket.getsockname()[1]
    handlers: list[tuple[threading.Thread, socket.socket]] = []
    lock = threading.Lock()

    def process_request(request: socket.socket, client_address: Any) -> None:
        """ThreadingMixIn's, keeping each connection's thread and socket to close them after."""
        thread = threading.Thread(target=server.process_request_thread,
                                  args=(request, client_address), daemon=True,
                                  name=f"live-server-{port}-connection")
        with lock:
            handlers[:] = [(t, s) for t, s in handlers if t.is_alive()]
            handlers.append((thread, request))
        thread.start()

    server.process_request = process_request  # type: ignore[method-assign,assignment]
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                               daemon=True, name=f"live-server-{port}")
    serving.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.shutdown()  # serve_forever returns, then closes the listening socket
        serving.join(timeout=5)
        with lock:
            open_ones = list(handlers)
        for thread, request in open_ones:  # idle keep-alive connections of a browser still open
            if thread.is_alive():
                try:
                    request.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for thread, _ in open_ones:
            thread.join(timeout=5)
        app.extensions["csm"].engine.dispose()
        leaked = [t.name for t in [serving, *(t for t, _ in open_ones)] if t.is_alive()]
        assert not leaked, f"live server threads still running after shutdown: {leaked}"


@pytest.fixture
def demo_member(live_server: LiveServer) -> Member:
    """A member (declarant) with a spouse and two children, recipient of the open campaign."""
    return member(live_server.app, spouse=True, children=2)


# --- mail over SMTP ----------------------------------------------------------------------------

@dataclass
class SmtpCapture:
    """An aiosmtpd handler keeping every message it accepted, as the outbox worker sent it."""

    port: int = 0
    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.original_content, policy=email_policy.default)
                for e in self.envelopes]


@pytest.fixture
def smtp_capture() -> Iterator[SmtpCapture]:
    """A real SMTP server on 127.0.0.1 and a free port, capturing what it receives."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    capture = SmtpCapture(port=port)
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield capture
    finally:
        controller.stop()


@pytest.fixture
def live_server_smtp(settings: Settings, smtp_capture: SmtpCapture) -> Iterator[LiveServer]:
    """``live_server`` with the SMTP mail backend pointed at ``smtp_capture``. Nothing is sent
    until the test runs the outbox worker's pass (``web.mail.delivery.deliver_pending``). A test
    module whose pages must use it overrides ``live_server`` with it."""
    smtp = replace(settings, mail_backend="smtp", mail_host="127.0.0.1",
                   mail_port=smtp_capture.port, mail_timeout_seconds=5)
    with _serving(smtp) as server:
        yield server


# --- the browser and its pages -----------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@dataclass
class _Artifacts:
    """Where one test's screenshots go, numbered in the order they are taken."""

    node: pytest.Item
    taken: int = 0
    cleared: bool = False

    @property
    def folder(self) -> Path:
        name = f"{self.node.path.stem}.{self.node.name}"
        return ARTIFACTS / "screenshots" / re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")

    def screenshot(self, page: Page, name: str) -> Path:
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        if not self.cleared:  # a previous run's pictures would mix with this one's
            for old in folder.glob("*.png"):
                old.unlink()
            self.cleared = True
        self.taken += 1
        path = folder / f"{self.taken:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path


@pytest.fixture
def _artifacts(request: pytest.FixtureRequest) -> _Artifacts:
    return _Artifacts(request.node)


@dataclass
class _Watched:
    context: BrowserContext
    page: Page
    server_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer, _artifacts: _Artifacts,
             request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """``new_page(**context_options)``: a page in a new context, based on the live server.

    Depending on ``live_server`` makes the contexts close (and their connections with them)
    before the server stops.
    """
    opened: list[_Watched] = []

    def open_page(**options: Any) -> Page:
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        watched = _Watched(context, page)
        page.on("response", lambda r: watched.server_errors.append(
            f"{r.status} {r.request.method} {r.url}") if r.status >= 500 else None)
        page.on("pageerror", lambda e: watched.script_errors.append(str(e)))
        opened.append(watched)
        return page

    yield open_page

    failed = any(getattr(request.node, f"_e2e_report_{when}", None) is not None
                 and getattr(request.node, f"_e2e_report_{when}").failed
                 for when in ("setup", "call"))
    problems: list[str] = []
    for watched in opened:
        if failed and not watched.page.is_closed():
            try:
                path = _artifacts.screenshot(watched.page, "failure")
                print(f"failure screenshot: {path.relative_to(ROOT)}")
            except Exception as error:  # noqa: BLE001 - the test's own failure matters more
                print(f"no failure screenshot: {error}")
        problems += [f"server error: {e}" for e in watched.server_errors]
        problems += [f"uncaught JavaScript error: {e}" for e in watched.script_errors]
        watched.context.close()
    if problems and not failed:
        pytest.fail("\n".join(problems) + "\n(see the captured log for the server's traceback)",
                    pytrace=False)


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A desktop page (1280x900, French)."""
    return new_page(**DESKTOP)


@pytest.fixture
def phone_page(new_page: Callable[..., Page]) -> Page:
    """A phone page (375x740, touch, French)."""
    return new_page(**PHONE)


@pytest.fixture
def nojs_page(new_page: Callable[..., Page]) -> Page:
    """A desktop page with JavaScript turned off: every page must work without it."""
    page = new_page(**DESKTOP, java_script_enabled=False)
    page.csm_no_javascript = True  # type: ignore[attr-defined]  # read by check_a11y
    return page


# --- checks and pictures -----------------------------------------------------------------------

def _axe_report(violations: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']}  <{v.get('helpUrl', '')}>")
        for node in v["nodes"]:
            target = " ".join(json.dumps(t) if not isinstance(t, str) else t
                              for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {' '.join(node.get('html', '').split())}")
            summary = node.get("failureSummary")
            if summary:
                lines += [f"       {line.strip()}" for line in summary.splitlines()
                          if line.strip()]
    return "\n".join(lines)


@pytest.fixture
def check_a11y(request: pytest.FixtureRequest, _artifacts: _Artifacts
               ) -> Callable[[Page, str], None]:
    """``check_a11y(page, name)``: fails the test on any WCAG 2.0/2.1 A or AA axe violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page: Page, name: str) -> None:
        if getattr(page, "csm_no_javascript", False):  # axe would wait forever
            pytest.fail("check_a11y runs axe, which needs JavaScript: check the same URL in a"
                        " page with JavaScript and the same cookies", pytrace=False)
        options = {"runOnly": {"type": "tag", "values": WCAG_TAGS},
                   "resultTypes": ["violations"]}
        results = axe.run(page, options=options)
        violations = results.response["violations"]
        if not violations:
            return
        report = ARTIFACTS / "axe" / _artifacts.folder.name / f"{name}.json"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(violations, indent=2, ensure_ascii=False))
        pytest.fail(f"accessibility ({', '.join(WCAG_TAGS)}) of {name!r} at {page.url}:"
                    f" {len(violations)} rule(s) violated\n{_axe_report(violations)}\n"
                    f"(full report: {report.relative_to(ROOT)})", pytrace=False)

    return check


@pytest.fixture
def shot(_artifacts: _Artifacts) -> Callable[[Page, str], Path]:
    """``shot(page, name)``: a full-page screenshot, test-artifacts/screenshots/<test>/NN-name.png
    (NN counts the test's screenshots)."""
    return _artifacts.screenshot
