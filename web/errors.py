"""Every error the outside sees, mapped in one place: RFC 9457 problem+json for the API.

Engine errors carry a code and French/English messages; here they get an HTTP status. Nothing
else (stack traces, SQL, library messages) ever reaches a response.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from flask import Flask, Response, g, json, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine import ActionRefused, EngineError, FieldError, Message, NotAvailable, StepInvalid
from web.i18n import current_language

log = logging.getLogger(__name__)

STATUS_BY_CODE = {
    "role_required": 403,
    "unknown_transition": 422,
    "transition_not_allowed": 422,
    "reason_required": 422,
    "stale_revision": 409,
}


class ApiProblem(Exception):
    """An error the API answers with on purpose."""

    def __init__(self, status: int, code: str, message: Message,
                 errors: Sequence[FieldError] = (), headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message
        self.errors, self.headers, self.extra = list(errors), headers or {}, extra


NOT_FOUND = Message("Cette ressource n'existe pas.", "This resource does not exist.")
STALE = Message("Cette démarche a été modifiée entre-temps : rechargez-la.",
                "This procedure was changed in the meantime: reload it.")

_TITLES = {
    400: Message("Requête invalide", "Bad request"),
    401: Message("Authentification requise", "Authentication required"),
    403: Message("Accès refusé", "Forbidden"),
    404: Message("Introuvable", "Not found"),
    405: Message("Méthode non permise", "Method not allowed"),
    409: Message("Conflit", "Conflict"),
    413: Message("Requête trop volumineuse", "Request too large"),
    415: Message("Type de contenu non pris en charge", "Unsupported media type"),
    422: Message("Données à corriger", "Data to correct"),
    429: Message("Trop de tentatives", "Too many attempts"),
    500: Message("Erreur interne", "Internal error"),
}


def problem(status: int, code: str, message: Message, errors: Sequence[FieldError] = (),
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    lang = current_language()
    title = _TITLES.get(status, Message("Erreur", "Error")).text(lang)
    if not request.path.startswith("/api/"):
        return _page(status, title, message.text(lang), headers)
    body: dict[str, Any] = {"type": f"about:blank#{code}", "title": title, "status": status,
                            "code": code, "detail": message.text(lang), **extra}
    if errors:
        body["errors"] = [e.as_json(lang) for e in errors]
    body["request_id"] = getattr(g, "request_id", None)
    response = Response(json.dumps(body, ensure_ascii=False), status=status,
                        mimetype="application/problem+json")
    response.headers["Content-Language"] = lang
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _page(status: int, title: str, detail: str, headers: dict[str, str] | None) -> Response:
    """The same error as a page, for people; a bare one if even the page cannot be drawn."""
    try:
        body = render_template("error.html", status=status, title=title, detail=detail)
    except Exception:  # noqa: BLE001 - the error page must never fail in its turn
        log.exception("error page could not be rendered")
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1>"
    response = Response(body, status=status, mimetype="text/html")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_engine(error: EngineError) -> ApiProblem:
    if isinstance(error, StepInvalid):
        return ApiProblem(422, error.code, error.message, error.errors)
    if isinstance(error, NotAvailable):
        return ApiProblem(403, error.code, error.message)
    if isinstance(error, ActionRefused):
        return ApiProblem(STATUS_BY_CODE.get(error.code, 409), error.code, error.message)
    return ApiProblem(409, error.code, error.message)


_HTTP_MESSAGES = {
    403: Message("Cette demande vient d'un autre site : elle est refusée.",
                 "This request comes from another site: it is refused."),
    404: NOT_FOUND,
    405: Message("Cette méthode n'est pas permise ici.", "This method is not allowed here."),
    413: Message("La requête dépasse la taille permise.", "The request is larger than allowed."),
}
CSRF_FAILED = Message("Votre session a expiré ou le formulaire n'est plus valide : revenez à la"
                      " page précédente, rechargez-la et recommencez.",
                      "Your session expired or the form is no longer valid: go back, reload"
                      " the page and try again.")


def register_error_handlers(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        g.request_id = uuid.uuid4().hex

    @app.errorhandler(ApiProblem)
    def _api_problem(error: ApiProblem) -> Response:
        return problem(error.status, error.code, error.message, error.errors, error.headers,
                       **error.extra)

    @app.errorhandler(EngineError)
    def _engine_error(error: EngineError) -> Response:
        return _api_problem(from_engine(error))

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Response:
        return problem(400, "csrf_failed", CSRF_FAILED)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = _HTTP_MESSAGES.get(status, Message(str(error.name), str(error.name)))
        allowed = getattr(error, "valid_methods", None)  # only on 405
        headers = {"Allow": ", ".join(allowed)} if allowed else None
        return problem(status, f"http_{status}", message, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return problem(500, "internal_error", Message(
            "Une erreur inattendue s'est produite. Vos données enregistrées sont intactes ;"
            " réessayez plus tard.",
            "An unexpected error occurred. Your saved data is intact; try again later."))
