"""The account pages: profile, password change (forced at first login), e-mail address and
its validation, forgotten password, for members and employers alike; an employer's security
question (ref 004, "Modification du profil").

Links sent by e-mail carry a token in their URL: those pages send ``Referrer-Policy:
no-referrer`` and only a POST (a button the person presses) uses the token, so a mail scanner
that opens links does not consume them.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from web.accounts.links import EMAIL_VALIDATION, PASSWORD_RESET, peek
from web.accounts.mail_options import (
    insured_members,
    insurer_emails,
    mail_options,
    set_insurer_emails,
    set_mail_channel,
)
from web.accounts.policy import policy
from web.accounts.security_question import ANSWER_MAX, ANSWER_MIN, QUESTION_MAX
from web.accounts.service import (
    LINK_INVALID,
    AccountRefused,
    change_password,
    confirm_email,
    register_email,
    request_reset,
    reset_password,
    set_security_question,
)
from web.accounts.subscriptions import (
    own_subscription,
    subscription_of,
    subscriptions,
    with_persons,
)
from web.audience import audience
from web.current import db, services
from web.db.models import Account, Subscription
from web.i18n import current_language
from web.portal import bp
from web.portal.signin import account_required, actor, current_actor, sign_in

MAX_FIELD = 200


def _field(name: str, limit: int = MAX_FIELD) -> str:
    value = request.form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _refusal(refused: AccountRefused) -> dict[str, Any]:
    lang = current_language()
    return {"message": refused.message.text(lang), "code": refused.code,
            "details": [p.message.text(lang) for p in refused.problems]}


def _no_referrer(response: Response | str, status: int = 200) -> Response:
    response = response if isinstance(response, Response) else Response(response, status,
                                                                         mimetype="text/html")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _chosen_subscription(account: Account) -> tuple[list[Subscription], Subscription | None]:
    """The account's subscriptions and the one chosen by ``?subscription=<id>`` (ref 002: "selon
    les matricules proposés dans la liste déroulante"); the first when none is given, and 404
    for an id the account does not hold. With several, the first is saved if it is not yet, so
    that the list always carries ids."""
    held = subscriptions(db(), account)
    if len(held) > 1 and held[0].id is None:
        own_subscription(db(), account, create=True)
        db().commit()
        held = subscriptions(db(), account)
    wanted = request.args.get("subscription", "")
    if not wanted:
        return held, held[0] if held else None
    chosen = subscription_of(db(), account, wanted[:36]) if isinstance(wanted, str) else None
    if chosen is None:
        abort(404)
    return held, chosen


def _switch(held: list[Subscription], chosen: Subscription | None) -> dict[str, Any]:
    """What the templates need to show the subscription switch (only with several)."""
    return {"subscriptions": with_persons(db(), held) if len(held) > 1 else [],
            "chosen": chosen,
            "chosen_arg": {"subscription": chosen.id} if chosen and len(held) > 1 else {}}


@bp.get("/account")
@audience("account")
@account_required
def profile() -> str:
    me = actor()
    held, chosen = _chosen_subscription(me.account)
    return render_template("portal/account/profile.html", account=me.account,
                           previous_login=session.get("previous_login"),
                           **_switch(held, chosen))


@bp.route("/account/password", methods=["GET", "POST"])
@audience("account")
@account_required
def password() -> Response | tuple[str, int] | str:
    svc, me = services(), actor()
    rules = policy(svc.settings.password_policy)
    error = None
    if request.method == "POST":
        try:
            change_password(db(), svc.passwords, rules, me.account, _field("current"),
                            _field("new"), _field("confirm"), svc.clock.now())
        except AccountRefused as refused:
            db().rollback()
            error = _refusal(refused)
        else:
            sign_in(me.account)  # every session ended: this one starts afresh (SESS-02)
            db().commit()
            flash(_("Your password has been changed. Your other sessions have been closed."),
                  "success")
            if not me.account.email_validated:
                return redirect(url_for("portal.email"))
            return redirect(url_for("portal.home"))
    page = render_template("portal/account/password.html", error=error,
                           forced=me.account.must_change_password,
                           rules=rules.describe().text(current_language()))
    return (page, 400) if error else page


@bp.route("/account/email", methods=["GET", "POST"])
@audience("account")
@account_required
def email() -> Response | tuple[str, int] | str:
    svc, me = services(), actor()
    error = None
    if request.method == "POST":
        try:
            register_email(db(), me.account, _field("email"), svc.clock.now(),
                           url_for("portal.confirm_email_page", token="", _external=True))
        except AccountRefused as refused:
            db().rollback()
            error = _refusal(refused)
        else:
            db().commit()
            flash(_("A validation link has been sent to %(email)s. Open it to confirm your"
                    " address.", email=me.account.email), "success")
            return redirect(url_for("portal.email"))
    page = render_template("portal/account/email.html", error=error, account=me.account,
                           typed=_field("email") if error else "")
    return (page, 400) if error else page


@bp.route("/account/security-question", methods=["GET", "POST"])
@audience("account")
@account_required
def security_question() -> Response | tuple[str, int] | str:
    """An employer's question and answer, the current password required; the answer is never
    shown back, not even after a refusal. Other kinds of account have none (to the profile)."""
    svc, me = services(), actor()
    if me.account.kind != "employer":
        return redirect(url_for("portal.profile"))
    error = None
    # Read past the limits, so that too long is refused rather than silently cut.
    question = _field("question", 4 * QUESTION_MAX)
    if request.method == "POST":
        try:
            set_security_question(db(), svc.passwords, me.account, _field("current"), question,
                                  _field("answer", 4 * ANSWER_MAX))
        except AccountRefused as refused:
            db().rollback()
            error = _refusal(refused)
        else:
            db().commit()
            flash(_("Your security question is saved."), "success")
            return redirect(url_for("portal.profile"))
    page = render_template("portal/account/security_question.html", error=error,
                           account=me.account,
                           typed=question[:QUESTION_MAX] if error else
                           (me.account.security_question or ""),
                           question_max=QUESTION_MAX, answer_min=ANSWER_MIN,
                           answer_max=ANSWER_MAX)
    return (page, 400) if error else page


@bp.route("/account/mail-options", methods=["GET", "POST"])
@audience("account")
@account_required
def mail_options_page() -> Response | tuple[str, int] | str:
    """Letters by post or e-mail; with e-mail, a member also gives the complementary insurer's
    address of each household member (web/accounts/mail_options.py). "Copy for all" is a submit
    button (no script): it copies the first address typed into every field and redraws the
    page, saving nothing. Employers choose the channel only; staff have no letters (to the
    profile). The options are those of the subscription chosen in the profile
    (``?subscription=<id>``, the first by default): the others do not change."""
    svc, me = services(), actor()
    account = me.account
    if account.kind == "staff":
        return redirect(url_for("portal.profile"))
    held, chosen = _chosen_subscription(account)
    switch = _switch(held, chosen)
    options = mail_options(db(), account, chosen)
    members = insured_members(db(), account, chosen)
    saved = insurer_emails(db(), account, chosen)
    channel = options.channel
    typed = {person.id: saved.get(person.id, "") for person in members}
    terms = options.insurer_terms_accepted_at is not None and bool(saved)
    error = None
    if request.method == "POST":
        channel = _field("channel", 10) or channel
        # Only the household's fields are read: any other field name is ignored.
        typed = {person.id: _field(f"insurer-{person.id}", 320).strip() for person in members}
        terms = request.form.get("accept_terms") == "yes"
        if _field("action", 10) == "copy":
            first = next((value for value in typed.values() if value), "")
            typed = dict.fromkeys(typed, first)
        else:
            now = svc.clock.now()
            try:
                set_mail_channel(db(), account, channel, now, chosen)
                if members and (channel == "email" or any(typed.values())):
                    set_insurer_emails(db(), account, typed, terms, now, chosen)
            except AccountRefused as refused:
                db().rollback()
                error = _refusal(refused)
            else:
                db().commit()
                flash(_("Your mail options are saved."), "success")
                return redirect(url_for("portal.mail_options_page", **switch["chosen_arg"]))
    page = render_template("portal/account/mail_options.html", error=error, account=account,
                           stored_channel=mail_options(db(), account, chosen).channel,
                           channel=channel, members=members, typed=typed, terms=terms, **switch)
    return (page, 400) if error else page


@bp.get("/account/email/confirm/<token>")
@audience("public")
def confirm_email_page(token: str) -> Response:
    link = peek(db(), token, EMAIL_VALIDATION, services().clock.now())
    valid = link is not None
    page = render_template("portal/account/confirm_email.html", token=token, valid=valid,
                           email=link.email if link else None)
    return _no_referrer(page, 200 if valid else 410)


@bp.post("/account/email/confirm/<token>")
@audience("public")
def confirm_email_action(token: str) -> Response:
    account = confirm_email(db(), token, services().clock.now())
    if account is None:
        db().rollback()
        page = render_template("portal/account/confirm_email.html", token=token, valid=False)
        return _no_referrer(page, 410)
    db().commit()
    flash(_("Your e-mail address is confirmed: all your online services are open."), "success")
    return _no_referrer(redirect(url_for("portal.home") if current_actor()
                                 else url_for("portal.login")))


@bp.route("/password/forgotten", methods=["GET", "POST"])
@audience("public")
def forgotten() -> Response | str:
    """The same answer whatever happened (unknown identifier, already asked today, e-mail or
    letter): nothing here tells whether an account exists."""
    if request.method == "POST":
        identifier = _field("identifier")
        if identifier.strip():
            svc = services()
            request_reset(db(), identifier, svc.clock.today(), svc.clock.now(),
                          url_for("portal.reset_page", token="", _external=True))
            db().commit()
        flash(_("If this identifier matches an account, a new password is on its way: by"
                " e-mail when your address is confirmed, otherwise by post. Only one request"
                " a day is taken into account."), "info")
        return redirect(url_for("portal.login"))
    return render_template("portal/account/forgotten.html")


@bp.get("/password/reset/<token>")
@audience("public")
def reset_page(token: str) -> Response:
    svc = services()
    valid = peek(db(), token, PASSWORD_RESET, svc.clock.now()) is not None
    page = render_template("portal/account/reset.html", token=token, valid=valid, error=None,
                           rules=policy(svc.settings.password_policy).describe()
                           .text(current_language()))
    return _no_referrer(page, 200 if valid else 410)


@bp.post("/password/reset/<token>")
@audience("public")
def reset_action(token: str) -> Response:
    svc = services()
    rules = policy(svc.settings.password_policy)
    try:
        reset_password(db(), svc.passwords, rules, token, _field("new"), _field("confirm"),
                       svc.clock.now())
    except AccountRefused as refused:
        db().rollback()  # the link stays usable for another try
        valid = refused.message != LINK_INVALID
        page = render_template("portal/account/reset.html", token=token, valid=valid,
                               error=_refusal(refused),
                               rules=rules.describe().text(current_language()))
        return _no_referrer(page, 400 if valid else 410)
    db().commit()
    flash(_("Your new password is saved. Log in with it."), "success")
    return _no_referrer(redirect(url_for("portal.login")))
