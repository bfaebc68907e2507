"""The application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, g, request
from flask_wtf.csrf import CSRFProtect

from web.audience import check_declared, declare_builtin, refuse_undeclared
from web.catalog import Catalog
from web.clock import Clock
from web.context_cache import ContextCache
from web.contexts import PROVIDERS
from web.db.migrate import is_current, upgrade
from web.db.session import make_engine, make_sessions
from web.errors import register_error_handlers
from web.host_checks import registered as registered_checks
from web.i18n import init_babel
from web.passwords import Passwords
from web.prefill import SOURCES
from web.producers import registered
from web.services import Services
from web.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = (settings or Settings.from_env()).check()
    app = Flask(__name__, instance_relative_config=True)
    production = settings.environment == "production"
    app.config.update(SECRET_KEY=settings.secret_key,
                      MAX_CONTENT_LENGTH=settings.max_request_bytes,
                      JSON_SORT_KEYS=False,
                      # production is served over HTTPS: the __Host- prefix pins the cookie
                      SESSION_COOKIE_NAME="__Host-csm_session" if production else "csm_session",
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=production,
                      # multipart only: largest text field, number of fields and files (413
                      # above); a step page's post gets more (_register_limits)
                      MAX_FORM_MEMORY_SIZE=64 * 1024, MAX_FORM_PARTS=400,
                      WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
                      )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if settings.database_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    if not is_current(engine):
        if settings.environment == "production":
            raise RuntimeError("database schema is not at the latest migration: run"
                               " `flask --app web db upgrade` first")
        upgrade(engine)
    catalog = Catalog.from_dir(str(settings.definitions_dir))
    catalog.check_providers(PROVIDERS)
    catalog.check_producers(registered())
    catalog.check_prefill_sources(SOURCES)
    catalog.check_host_checks({name: check.codes for name, check in registered_checks().items()})
    clock = Clock(settings.frozen_today)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        catalog.sync(session, clock.now())
    app.extensions["csm"] = Services(settings=settings, engine=engine, sessions=sessions,
                                     catalog=catalog, clock=clock,
                                     passwords=Passwords(settings.password_hash_profile),
                                     contexts=ContextCache(settings.context_cache_seconds))
    register_error_handlers(app)
    app.before_request(refuse_undeclared)  # a view that declares no audience answers 404
    _register_headers(app, production)
    _register_limits(app, settings)  # before CSRFProtect's hook, the first to read the body
    init_babel(app)

    from web.analyst import bp as analyst_bp
    from web.api import bp as api_bp
    from web.backoffice import bp as backoffice_bp
    from web.cli import register_cli
    from web.portal import bp as portal_bp
    from web.portal.forms import prepare_forms

    app.register_blueprint(api_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(backoffice_bp)
    app.register_blueprint(analyst_bp)
    from web.mail.mailbox import register_mailbox  # /dev/mailbox: local backend, not production
    register_mailbox(app, settings)
    prepare_forms(catalog.all_current())
    csrf = CSRFProtect(app)
    for name, blueprint in app.blueprints.items():
        if name.split(".")[0] == "api":  # bearer tokens, never cookies: nothing to forge
            csrf.exempt(blueprint)
    register_cli(app)
    declare_builtin(app, "static", "public")
    check_declared(app, production)  # every route declares its audience (SECURITY.md AC-02)

    @app.teardown_appcontext
    def _close_session(_error: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()

    return app


PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self';"
            " form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
"""Pages: styles and images from the app itself, no script, no inline style, no framing."""
API_CSP = "default-src 'none'; frame-ancestors 'none'"


LARGE_POSTS = frozenset({"portal.answer", "portal.upload", "api.submissions.answer_step",
                         "api.submissions.upload_step"})
"""The endpoints whose bodies may hold thousands of lines: a step page, whose repeating groups
(a wage declaration's employees, 5,000 lines of 8 fields or more) are all posted at once, the
same step answered through the API (about 1 MB of JSON for 5,000 lines), and a CSV upload."""
STEP_POST_PARTS = 100_000
"""Fields (and files) of such a post sent as multipart (a CSV upload's form): 5,000 lines of 8
fields are 40,000, 10,000 lines (the form's maxItems) 80,000. Url-encoded posts have no count
limit in Werkzeug: their size (``max_step_post_bytes``) bounds them."""


def _register_limits(app: Flask, settings: Settings) -> None:
    @app.before_request
    def _large_step_posts() -> None:
        """The app-wide limits (MAX_CONTENT_LENGTH, MAX_FORM_MEMORY_SIZE, MAX_FORM_PARTS) stay
        small; a step page's post may be larger, still bounded: a body above
        ``max_step_post_bytes`` is a 413 page, before anything of it is parsed."""
        if request.endpoint in LARGE_POSTS:
            request.max_content_length = settings.max_step_post_bytes
            request.max_form_memory_size = settings.max_step_post_bytes
            request.max_form_parts = STEP_POST_PARTS


def _register_headers(app: Flask, production: bool) -> None:
    @app.before_request
    def _refuse_cross_site_writes() -> None:
        """Fetch Metadata: a browser says when a form was posted from another site; such a
        request is refused before anything else, whatever its CSRF token (OWASP)."""
        if request.method not in ("GET", "HEAD", "OPTIONS") and \
                request.headers.get("Sec-Fetch-Site") == "cross-site":
            abort(403)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        html = response.mimetype == "text/html"
        headers: dict[str, Any] = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Content-Security-Policy": PAGE_CSP if html else API_CSP,
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        }
        if production:
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/api/"):
            response.headers.setdefault("Vary", "Accept-Language, Authorization")
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # pages and answers are personal
        return response
