"""Security events: one JSON line each on the logger ``csm.security`` (SECURITY.md LOG-02).

Events: ``login_succeeded``; ``login_refused`` (unknown identifier or wrong password),
``login_throttled`` (too soon after the last failure), ``login_locked`` (identifier locked), each
refused with the same answer; ``account_locked`` (this failure starts a lock); ``logout``,
``session_expired`` (idle or past its lifetime), ``sessions_revoked`` (password change),
``security_question_changed`` (an employer's profile)...

The callers pass the account id or a hash of the identifier typed, never a password, a token, a
cookie or a session id: :func:`security_event` refuses field names that look like one, and JSON
encoding keeps every value on its one line (an identifier holding a line break cannot forge a
second record).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context, request

LOGGER = "csm.security"
log = logging.getLogger(LOGGER)
log.setLevel(logging.INFO)  # security events are kept whatever the root level

FORBIDDEN_FIELDS = ("password", "token", "cookie", "session", "secret")
"""Parts of field names that would carry a secret: such a field is a programming error."""


def security_event(name: str, **fields: Any) -> dict[str, Any]:
    """Log one security event as a JSON line; returns what was logged (for tests)."""
    for key in fields:
        if any(part in key.lower() for part in FORBIDDEN_FIELDS):
            raise ValueError(f"security events never carry a {key!r}")
    record: dict[str, Any] = {"event": name,
                              "at": datetime.now(UTC).isoformat(timespec="milliseconds")}
    if has_request_context():
        record["request_id"] = getattr(g, "request_id", None)
        record["ip"] = request.remote_addr
    record.update(fields)
    _ensure_handler()
    log.info(json.dumps(record, ensure_ascii=True, default=str, separators=(",", ":")),
             extra={"security_event": name})
    return record


_handler: logging.Handler | None = None


def _ensure_handler() -> None:
    """When nothing was configured to receive the events, they go to standard error: they are
    never dropped silently (Python's last-resort handler only shows warnings)."""
    global _handler
    if _handler is None and not log.hasHandlers():
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(_handler)
