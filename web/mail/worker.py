"""The ``mail send --loop`` worker: a delivery pass every few seconds until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from web.mail.delivery import DeliveryReport, deliver_pending
from web.settings import Settings

log = logging.getLogger(__name__)


def run_worker(sessions: sessionmaker[Session], settings: Settings,
               now: Callable[[], datetime], stop: threading.Event, interval: float,
               limit: int = 100, on_report: Callable[[DeliveryReport], None] | None = None) -> None:
    """Deliver, wait ``interval`` seconds, again, until ``stop`` is set (a full pass goes on at
    once). A pass asked to stop ends after its current message. A database error is logged and
    the loop goes on: the next pass retries."""
    while not stop.is_set():
        try:
            report = deliver_pending(sessions, settings, now(), limit, stop=stop.is_set)
        except SQLAlchemyError:
            log.exception("mail delivery pass failed; next try in %s s", interval)
            stop.wait(interval)
            continue
        if on_report is not None:
            on_report(report)
        if report.handled < limit or report.stopped:
            stop.wait(interval)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT (Ctrl-C) set ``stop`` instead of killing the process mid-message;
    the previous handlers come back afterwards. Only the main thread may install handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current message", signum)
        stop.set()

    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
