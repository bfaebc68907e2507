"""The local mailbox: the outbox read in the browser, for a developer (``/dev/mailbox``).

It exists only with ``MAIL_BACKEND=local`` outside production: :func:`register_mailbox` does
not even add the routes otherwise, and each request checks again (404). Every message of the
outbox is listed, whoever it is for: this is a development tool, never a member page.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, abort, render_template
from markupsafe import Markup, escape
from sqlalchemy import select

from web.audience import audience
from web.current import db, services
from web.db.models import OutboxMessage
from web.settings import Settings

bp = Blueprint("mailbox", __name__, url_prefix="/dev/mailbox")

PAGE_SIZE = 200


def enabled(settings: Settings) -> bool:
    return settings.mail_backend == "local" and settings.environment != "production"


def register_mailbox(app: Flask, settings: Settings) -> None:
    if enabled(settings):
        app.register_blueprint(bp)


@bp.before_request
def _only_in_development() -> None:
    if not enabled(services().settings):
        abort(404)


@bp.get("/")
@audience("developer")
def index() -> str:
    rows = db().scalars(select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                                       OutboxMessage.id.desc())
                        .limit(PAGE_SIZE)).all()
    return render_template("mailbox/index.html", messages=rows, page_size=PAGE_SIZE)


@bp.get("/<int:message_id>")
@audience("developer")
def message(message_id: int) -> str:
    row = db().get(OutboxMessage, message_id)
    if row is None:
        abort(404)
    return render_template("mailbox/message.html", message=row, body=linkify(row.body_text))


_URL = re.compile(r"https?://[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»"


def linkify(text: str) -> Markup:
    """The text escaped, paragraphs kept, and every http(s) URL a link.

    Only the matched ``http://``/``https://`` URLs become links (so no ``javascript:``); each
    piece is escaped on its own, the URL also in its ``href`` attribute (quoted).
    """
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip()):
        lines = [_link_line(line) for line in block.split("\n")]
        paragraphs.append(Markup("<p>") + Markup("<br>\n").join(lines) + Markup("</p>"))
    return Markup("\n").join(paragraphs)


def _link_line(line: str) -> Markup:
    out = Markup("")
    position = 0
    for found in _URL.finditer(line):
        url = found.group(0).rstrip(_TRAILING)
        if not url.partition("://")[2]:
            continue
        end = found.start() + len(url)
        out += escape(line[position:found.start()])
        out += Markup('<a href="{0}" rel="noreferrer noopener">{0}</a>').format(url)
        position = end
    return out + escape(line[position:])
