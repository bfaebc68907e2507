"""Log in, log out, choose the language."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from web.audience import audience
from web.current import db, services
from web.i18n import LANGUAGES, current_language
from web.login import MAX_IDENTIFIER, MAX_PASSWORD, LoginRefused, authenticate
from web.portal import bp
from web.portal.public import public_procedures
from web.portal.signin import current_actor, password_first, safe_next, sign_in, sign_out

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


class LoginForm(FlaskForm):  # type: ignore[misc]
    identifier = StringField(validators=[InputRequired(), Length(max=MAX_IDENTIFIER)])
    password = PasswordField(validators=[InputRequired(), Length(max=MAX_PASSWORD)])


@bp.before_request
def _password_first() -> Response | None:
    return password_first()  # type: ignore[no-any-return]


@bp.app_context_processor
def _page_context() -> dict[str, Any]:
    lang = current_language()
    other = next(code for code in LANGUAGES if code != lang)
    actor = current_actor() if not request.path.startswith(("/api/", "/static/")) else None
    signed_in = None
    if actor is not None:
        person = actor.person
        name = f"{person.first_name} {person.last_name}" if person else \
            (actor.account.display_name or actor.account.identifier)
        signed_in = {"name": name}
    return {"lang": lang, "other_lang": {"code": other, "name": LANGUAGE_NAMES[other]},
            "signed_in": signed_in}


@bp.route("/login", methods=["GET", "POST"])
@audience("public")
def login() -> Response | str:
    form = LoginForm()
    next_page = safe_next(request.values.get("next"), url_for("portal.home"))
    error = None
    if form.validate_on_submit():
        try:
            done = authenticate(db(), services(), form.identifier.data or "",
                                form.password.data or "")
        except LoginRefused as refused:
            error = refused.message.text(current_language())
        else:
            sign_in(done.account)
            session["previous_login"] = done.previous_login.isoformat() \
                if done.previous_login else None
            db().commit()
            return redirect(next_page)
    elif form.is_submitted():
        error = _("Enter your identifier and your password.")
    status = 200 if error is None else 400
    return render_template("portal/login.html", form=form, error=error,
                           next_page=next_page, public_procedures=public_procedures()
                           ), status  # type: ignore[return-value]


@bp.post("/logout")
@audience("account")
def logout() -> Response:
    sign_out()
    db().commit()
    flash(_("You are logged out."), "success")
    return redirect(url_for("portal.login"))


@bp.get("/language/<code>")
@audience("public")
def set_language(code: str) -> Response:
    """The language switch: remembered for the session, then back to the same page."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("portal.home")))
