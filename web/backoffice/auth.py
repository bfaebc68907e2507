"""Staff sign-in: identifier and password, then the code of an authenticator app (TOTP); the
first time, the authenticator is enrolled on the code page. Log out. The home page.

Every back-office request from a browser holding a member's session (and no staff session) is
answered 404 before anything else (:func:`web.backoffice.signin.refuse_members`).
"""

from __future__ import annotations

import io

import segno
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from web.accounts import totp
from web.audience import audience
from web.backoffice import bp
from web.backoffice.queues import queue_cards
from web.backoffice.signin import (
    PENDING_KEY,
    PENDING_MINUTES,
    back_office_next,
    current_staff,
    enrolment_secret,
    guard_staff_blueprint,
    password_accepted,
    pending_account,
    sign_in,
    sign_out,
    staff,
    staff_required,
)
from web.current import db, services
from web.i18n import current_language
from web.login import (
    MAX_CODE,
    MAX_IDENTIFIER,
    MAX_PASSWORD,
    LoginRefused,
    authenticate,
    verify_code,
)

STAFF_ONLY = frozenset({"staff"})
ROLE_LABELS = {"immatriculation": _l("Registration (immatriculation)"),
               "recouvrement": _l("Contributions (recouvrement)"),
               "prestations": _l("Benefits (prestations)"),
               "admin": _l("Administration (sees every service)")}


class LoginForm(FlaskForm):  # type: ignore[misc]
    identifier = StringField(validators=[InputRequired(), Length(max=MAX_IDENTIFIER)])
    password = PasswordField(validators=[InputRequired(), Length(max=MAX_PASSWORD)])


class CodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField(validators=[InputRequired(), Length(max=MAX_CODE)])


guard_staff_blueprint(bp)


@bp.route("/login", methods=["GET", "POST"])
@audience("public")
def login() -> Response | str:
    next_page = back_office_next(request.values.get("next"))
    if current_staff() is not None:
        return redirect(next_page, 303)
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            done = authenticate(db(), services(), form.identifier.data or "",
                                form.password.data or "", kinds=STAFF_ONLY,
                                second_factor="later")
        except LoginRefused as refused:  # a member's account: the answer of a wrong password
            error = refused.message.text(current_language())
        else:
            password_accepted(done.account)
            db().commit()
            return redirect(url_for("backoffice.second_factor", next=next_page), 303)
    elif form.is_submitted():
        error = _("Enter your identifier and your password.")
    status = 200 if error is None else 400
    return render_template("backoffice/login.html", form=form, error=error,
                           next_page=next_page), status  # type: ignore[return-value]


@bp.route("/second-factor", methods=["GET", "POST"])
@audience("staff")
def second_factor() -> Response | str:
    """The code of the authenticator app; without one yet, its enrolment first."""
    next_page = back_office_next(request.values.get("next"))
    if current_staff() is not None:
        return redirect(next_page, 303)
    was_pending = PENDING_KEY in session
    account = pending_account()
    if account is None:
        if was_pending:
            flash(_("More than %(minutes)s minutes passed since your password: please log in"
                    " again.", minutes=PENDING_MINUTES), "info")
        return redirect(url_for("backoffice.login", next=next_page), 303)
    secret = enrolment_secret() if account.totp_secret is None else None
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            verify_code(db(), services(), account, form.code.data or "", enrol_secret=secret)
        except LoginRefused as refused:
            error = refused.message.text(current_language()) if refused.reason == "refused" \
                else _("Too many wrong codes: wait a few minutes, then try again.")
        else:
            sign_in(account)
            db().commit()
            return redirect(next_page, 303)
    elif form.is_submitted():
        error = _("Enter the 6-digit code shown by your authenticator app.")
    enrolment = None
    if secret is not None and account.totp_secret is None:
        enrolment = {"secret": totp.grouped(secret),
                     "uri": totp.provisioning_uri(secret, account.identifier)}
    status = 200 if error is None else 400
    return render_template("backoffice/second_factor.html", form=form, error=error,
                           next_page=next_page, enrolment=enrolment,
                           minutes=PENDING_MINUTES), status  # type: ignore[return-value]


@bp.get("/second-factor/qr.svg")
@audience("staff")
def enrolment_qr() -> Response:
    """The enrolment URI as a QR code, for the account whose code is pending and which has no
    authenticator yet; 404 for anyone else. An image of its own: the page CSP allows images
    from the app only (``img-src 'self'``), no ``data:`` URI."""
    account = pending_account() if current_staff() is None else None
    if account is None or account.totp_secret is not None:
        abort(404)
    uri = totp.provisioning_uri(enrolment_secret(), account.identifier)
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, dark="#000000", light="#ffffff",
                                    xmldecl=False, title=_("QR code to scan"))
    return Response(out.getvalue(), mimetype="image/svg+xml")


@bp.post("/logout")
@audience("staff")
def logout() -> Response:
    """End the staff session (or a login whose code is pending); any browser may ask."""
    sign_out()
    db().commit()
    flash(_("You are logged out."), "success")
    return redirect(url_for("backoffice.login"), 303)


@bp.get("/")
@audience("staff")
@staff_required
def home() -> str:
    actor = staff()
    roles = [str(ROLE_LABELS.get(role, role)) for role in sorted(actor.roles)]
    return render_template("backoffice/home.html", name=actor.account.display_name
                           or actor.account.identifier, roles=roles, queues=queue_cards())
