"""The language of a response, French by default.

The API follows ``?lang=`` then ``Accept-Language``. The pages also remember the member's choice
(the language switch stores it in the session). Interface texts are in gettext catalogues
(``web/translations``, English message ids, a complete French catalogue); procedure texts come
from the YAML in both languages.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = ("fr", "en")


def current_language() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    if not request.path.startswith("/api/"):
        chosen = session.get("lang")
        if chosen in LANGUAGES:
            return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "fr")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Monaco")
    Babel(app, locale_selector=current_language)
