"""The language of a response: ``Accept-Language`` (or ``?lang=``), French by default."""

from __future__ import annotations

from flask import request

LANGUAGES = ("fr", "en")


def current_language() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"
