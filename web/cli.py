"""Commands: ``flask --app web workflows check | db upgrade | registry import FILE | demo |
staff totp-code IDENTIFIER | staff reset-totp IDENTIFIER`` and more (``flask --app web --help``)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import cast

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from web.db.models import Account
from web.services import Services


def _services() -> Services:
    return cast(Services, current_app.extensions["csm"])


def register_cli(app: Flask) -> None:
    @app.cli.group("workflows")
    def workflows() -> None:
        """Workflow definitions."""

    @workflows.command("check")
    @click.option("--lang", type=click.Choice(["fr", "en"]), default="fr")
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
    def check(lang: str, fmt: str) -> None:
        """Check every definition; exit 1 when one has a problem."""
        from engine.__main__ import main

        root = str(_services().settings.definitions_dir)
        sys.exit(main(["check", root, "--lang", lang, "--format", fmt]))

    from web.publishing_cli import add_publishing_commands

    add_publishing_commands(workflows, _services)  # diff, dump-drafts, migrate

    @app.cli.group("db")
    def db() -> None:
        """Database schema."""

    @db.command("upgrade")
    def db_upgrade() -> None:
        """Apply every Alembic migration."""
        from web.db.migrate import upgrade

        upgrade(_services().engine)
        click.echo("database at the latest migration")

    @app.cli.group("registry")
    def registry() -> None:
        """Registry data the fund already holds."""

    @registry.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def registry_import(file: Path) -> None:
        """Import persons, households, campaigns and accounts from a YAML or JSON file."""
        sys.exit(_import(file))

    @app.cli.group("mail")
    def mail() -> None:
        """E-mail: deliver the outbox."""

    @mail.command("send")
    @click.option("--loop", is_flag=True, help="Keep delivering until SIGTERM or Ctrl-C.")
    @click.option("--interval", default=10.0, show_default=True,
                  type=click.FloatRange(min=0.1), help="Seconds between two passes (--loop).")
    @click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1),
                  help="Messages per pass.")
    def mail_send(loop: bool, interval: float, limit: int) -> None:
        """Deliver the due messages of the outbox (SMTP, or the local mailbox) and print what
        was done."""
        import threading

        from web.mail.delivery import DeliveryReport, deliver_pending
        from web.mail.worker import run_worker, stop_on_signals

        services = _services()
        if not loop:
            report = deliver_pending(services.sessions, services.settings,
                                     services.clock.now(), limit)
            click.echo(report.as_text())
            return

        def _echo(report: DeliveryReport) -> None:
            if report.handled or report.stopped:
                click.echo(report.as_text())

        stop = threading.Event()
        click.echo(f"delivering every {interval:g} s ({services.settings.mail_backend});"
                   " SIGTERM or Ctrl-C stops")
        with stop_on_signals(stop):
            run_worker(services.sessions, services.settings, services.clock.now, stop,
                       interval, limit, on_report=_echo)
        click.echo("stopped")

    @app.cli.group("audit")
    def audit_group() -> None:
        """The audit trail of submissions."""

    @audit_group.command("verify")
    @click.option("--submission", "submission_id", default=None,
                  help="Only this submission's chain.")
    def audit_verify(submission_id: str | None) -> None:
        """Walk every hash chain; report the first broken link of each (exit status 1)."""
        from web.audit import verify

        with _services().sessions() as session:
            broken = list(verify(session, submission_id))
        for link in broken:
            click.echo(f"BROKEN {link}", err=True)
        if broken:
            raise SystemExit(1)
        click.echo("audit trail intact")

    @app.cli.group("security")
    def security() -> None:
        """Connection records, sessions and tokens."""

    @security.command("purge")
    def security_purge() -> None:
        """Delete connection records older than LOGIN_RECORDS_KEEP_DAYS, and sessions, tokens
        and e-mail links dead for over DEAD_TOKENS_KEEP_DAYS; print what was removed."""
        from web.login import purge_records
        from web.tokens import purge

        services = _services()
        now, settings = services.clock.now(), services.settings
        with services.sessions.begin() as session:
            records = purge_records(session, now, settings)
            tokens = purge(session, now, settings.dead_tokens_keep_days)
        click.echo(f"login records older than {settings.login_records_keep_days} days:"
                   f" {records.records} deleted")
        click.echo(f"sessions and API tokens dead for over {settings.dead_tokens_keep_days}"
                   f" days: {tokens.tokens} deleted")
        click.echo(f"e-mail links used or expired over {settings.dead_tokens_keep_days}"
                   f" days ago: {tokens.account_tokens} deleted")
        click.echo(f"login counters with nothing left to count: {records.throttles} deleted")

    @app.cli.group("letters")
    def letters() -> None:
        """Letters for the post: those carrying a password (initial access codes, forgotten
        password without a confirmed e-mail address), the notifications of members who
        receive post, and the certificates the fund issued."""

    @letters.command("issue")
    @click.argument("identifier")
    def letters_issue(identifier: str) -> None:
        """Queue the initial-password letter of the account IDENTIFIER (the password is made
        when the letter is printed)."""
        from web.accounts.letters import (
            INITIAL_PASSWORD,
            LetterRefused,
            find_account,
            pending_letter,
            queue_initial_password,
        )

        services = _services()
        with services.sessions.begin() as session:
            account = find_account(session, identifier)
            if account is None:
                click.echo(f"no account with the identifier {identifier!r}", err=True)
                sys.exit(1)
            if pending_letter(session, account, INITIAL_PASSWORD) is not None:
                click.echo(f"{account.identifier}: an initial-password letter is already"
                           " waiting to be printed")
                return
            try:
                letter = queue_initial_password(session, account, services.clock.now())
            except LetterRefused as refused:
                click.echo(str(refused), err=True)
                sys.exit(1)
            click.echo(f"{account.identifier}: initial-password letter {letter.id} queued;"
                       " `flask letters print --out FILE.pdf` prints it")

    from collections.abc import Callable

    from web.accounts.letters import PrintRun

    def _print_letters(out: Path, force: bool, produce: Callable[[Session], PrintRun]) -> None:
        """Make the letters and write the PDF (owner-only file) in one transaction: it commits
        once the file is written; if writing fails, nothing changed."""
        import os

        if out.exists() and not force:
            click.echo(f"{out} exists: choose another file, or --force to overwrite it",
                       err=True)
            sys.exit(1)
        services, written = _services(), False
        try:
            with services.sessions.begin() as session:
                run = produce(session)
                if run.pdf is not None:
                    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (0 if force else os.O_EXCL)
                    with os.fdopen(os.open(out, flags, 0o600), "wb") as file:
                        written = True
                        file.write(run.pdf)
        except BaseException:
            if written:
                out.unlink(missing_ok=True)  # its passwords were never kept
            raise
        for skipped in run.skipped:
            click.echo(f"letter {skipped} left pending: no postal address", err=True)
        if run.pdf is None:
            click.echo("nothing to print")
            return
        click.echo(f"{run.count} letter{'s' if run.count > 1 else ''} printed to {out}")
        for done in run.letters:
            missing = "  ADDRESS MISSING" if done.address_missing else ""
            click.echo(f"  {done.id}  {done.kind:<16}  {done.identifier}{missing}")
        for unaddressed in run.unaddressed:
            click.echo(f"letter {unaddressed} printed without a postal address (marked on the"
                       " page): the mail room must find one before posting it", err=True)

    @letters.command("print")
    @click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The PDF file to write (readable by its owner only).")
    @click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
    @click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
    def letters_print(out: Path, lang: str, force: bool) -> None:
        """Print every pending letter into one PDF, each starting a new page (a password letter
        with a new password, a notification or a certificate as it was queued); they are marked
        printed."""
        from web.accounts.letters import LetterRefused, print_pending
        from web.accounts.policy import policy

        services = _services()
        rules = policy(services.settings.password_policy)
        try:
            _print_letters(out, force, lambda session: print_pending(
                session, services.passwords, rules, services.clock.now(), lang))
        except LetterRefused as refused:  # nothing printed: every letter is still pending
            click.echo(str(refused), err=True)
            sys.exit(1)

    @letters.command("reprint")
    @click.argument("letter_id")
    @click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The PDF file to write (readable by its owner only).")
    @click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
    @click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
    def letters_reprint(letter_id: str, out: Path, lang: str, force: bool) -> None:
        """Print the letter LETTER_ID again: a password letter with a new password (the earlier
        one stops working), a notification or a certificate with the same text."""
        from web.accounts.letters import LetterRefused, reprint
        from web.accounts.policy import policy

        services = _services()
        rules = policy(services.settings.password_policy)
        try:
            _print_letters(out, force, lambda session: reprint(
                session, services.passwords, rules, services.clock.now(), letter_id, lang))
        except LetterRefused as refused:
            click.echo(str(refused), err=True)
            sys.exit(1)

    @letters.command("list")
    @click.option("--pending", is_flag=True, help="Only the letters not printed yet.")
    def letters_list(pending: bool) -> None:
        """The letters, oldest first: id, kind, identifier, created, printed (Monaco time)."""
        from zoneinfo import ZoneInfo

        from web.accounts.letters import list_letters

        monaco = ZoneInfo("Europe/Monaco")
        with _services().sessions() as session:
            rows = list_letters(session, pending_only=pending)
        if not rows:
            click.echo("no letters")
            return
        click.echo(f"{'id':<36}  {'kind':<16}  {'identifier':<20}  {'created':<16}  printed")
        for row in rows:
            printed = (f"{row.printed_at.astimezone(monaco):%Y-%m-%d %H:%M}"
                       if row.printed_at else "pending")
            click.echo(f"{row.id:<36}  {row.kind:<16}  {row.identifier:<20}"
                       f"  {row.created_at.astimezone(monaco):%Y-%m-%d %H:%M}  {printed}")

    @app.cli.group("staff")
    def staff() -> None:
        """Staff accounts: the second factor of the back office (TOTP)."""

    @staff.command("totp-code")
    @click.argument("identifier")
    def staff_totp_code(identifier: str) -> None:
        """Print the current code of the staff account IDENTIFIER's authenticator (development
        and demos only: refused in production)."""
        from web.accounts import totp

        services = _services()
        if services.settings.environment == "production":
            click.echo("staff totp-code is for development and demos: refused in production"
                       " (the code comes from the staff member's authenticator app)", err=True)
            sys.exit(1)
        with services.sessions() as session:
            account = _staff_account(session, identifier)
            if account.totp_secret is None:
                click.echo(f"{identifier}: no authenticator yet; the next back-office login"
                           " enrols one", err=True)
                sys.exit(1)
            now = services.clock.now()
            click.echo(f"{totp.code_at(account.totp_secret, now)}  ({identifier}; valid"
                       f" {totp.seconds_left(now)} more seconds, accepted once)")

    @staff.command("reset-totp")
    @click.argument("identifier")
    def staff_reset_totp(identifier: str) -> None:
        """Forget the authenticator of the staff account IDENTIFIER (a lost phone): its next
        back-office login enrols a new one. Ends every session and token of the account."""
        from web.security_log import security_event
        from web.tokens import revoke_all

        services = _services()
        with services.sessions.begin() as session:
            account = _staff_account(session, identifier)
            account.totp_secret, account.totp_last_step = None, None
            ended = revoke_all(session, account, services.clock.now())
            security_event("second_factor_reset", account_id=account.id, channel="cli")
        click.echo(f"{identifier}: authenticator forgotten, {ended} session(s) or token(s)"
                   " ended; the next back-office login enrols a new one")

    @app.cli.group("submissions")
    def submissions_group() -> None:
        """Submissions."""

    @submissions_group.command("purge-anonymous")
    def submissions_purge_anonymous() -> None:
        """Empty the visitors' drafts (public procedures) unchanged for 30 days."""
        from web.drafts import KEEP_DAYS, purge_anonymous

        services = _services()
        with services.sessions.begin() as session:
            count = purge_anonymous(session, services.clock.now())
        click.echo(f"{count} visitor draft{'s' if count != 1 else ''} older than {KEEP_DAYS}"
                   " days purged")

    @app.cli.group("employers")
    def employers_group() -> None:
        """The employer portal (ref 004)."""

    @employers_group.command("remind")
    @click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="The day to remind for (YYYY-MM-DD; default: today).")
    def employers_remind(day: datetime | None) -> None:
        """E-mail each employer account the clients whose declaration of the current period is
        still to make (run on the 20th: before the 20th the current period is the previous
        month). Idempotent: a client is reminded once per period and account."""
        from web.reminders import send_reminders

        services = _services()
        today = day.date() if day is not None else services.clock.today()
        with services.sessions.begin() as session:
            count = send_reminders(session, services.catalog, today, services.clock.now())
        click.echo(f"{count} reminder e-mail{'s' if count != 1 else ''} queued")

    @app.cli.group("demo", invoke_without_command=True)
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    @click.pass_context
    @with_appcontext  # a group's own callback is not given the app context by Flask
    def demo(ctx: click.Context, host: str, port: int) -> None:
        """Load the demo data and print the URL and demo logins."""
        if ctx.invoked_subcommand is not None:
            return
        folder = Path(__file__).resolve().parent.parent / "demo"
        for name in DEMO_FILES:
            code = _import(folder / name)
            if code:
                sys.exit(code)
        code = _import_workforce(*DEMO_WORKFORCE)
        if code:
            sys.exit(code)
        _seed_demo_authenticators()
        from web.demo_declarations import seed_declaration

        receipt = seed_declaration(_services())
        if receipt:
            click.echo(f"wage declaration {receipt} of the bakery (300125), corrected by"
                       " agent.recouv: see its history")
        base = f"http://{host}:{port}"
        click.echo(f"\nMember portal: {base}/  (JSON API: {base}/api/v1/)")
        click.echo(f"Back office: {base}/backoffice/  (staff: password, then the code of"
                   " `flask --app web staff totp-code IDENTIFIER`)")
        click.echo("Demo logins (identifier / password):")
        for line in DEMO_LOGINS:
            click.echo(f"  {line}")

    @demo.command("employees")
    @click.argument("count", type=click.IntRange(min=1, max=100_000))
    @click.option("--employer", default=DEMO_WORKFORCE[0], show_default=True,
                  help="The employer's id (imported already).")
    def demo_employees(count: int, employer: str) -> None:
        """Give the employer COUNT generated employees (the same ones every time), through the
        registry import."""
        sys.exit(_import_workforce(employer, count))


def _staff_account(session: Session, identifier: str) -> Account:
    """The staff account IDENTIFIER; exit 1 when there is none."""
    from sqlalchemy import select

    account = session.scalars(select(Account).where(Account.identifier == identifier,
                                                    Account.kind == "staff")).first()
    if account is None:
        click.echo(f"no staff account with the identifier {identifier!r}", err=True)
        sys.exit(1)
    return account


def _seed_demo_authenticators() -> None:
    """Give each demo staff account its fixed demo secret, unless it enrolled one already
    (``staff reset-totp`` then the next ``demo`` gives it back). Never in production."""
    services = _services()
    if services.settings.environment == "production":
        click.echo("production: the demo authenticator secrets are not loaded", err=True)
        return
    from sqlalchemy import select

    with services.sessions.begin() as session:
        for account in session.scalars(select(Account).where(
                Account.identifier.in_(DEMO_TOTP_SECRETS), Account.kind == "staff",
                Account.totp_secret.is_(None))):
            account.totp_secret = DEMO_TOTP_SECRETS[account.identifier]


def _import(file: Path) -> int:
    """Import a registry file in one transaction; print every problem and exit 1 if any."""
    from web.registry import RegistryError, import_registry, load_registry_file

    services = _services()
    try:
        data = load_registry_file(file)
        with services.sessions.begin() as session:
            summary = import_registry(session, data, services.passwords)
    except RegistryError as error:
        for problem in error.problems:
            click.echo(problem.as_text(), err=True)
        return 1
    click.echo(f"{file}: {summary.as_text('fr')}")
    return 0


def _import_workforce(employer: str, count: int) -> int:
    """Import ``count`` generated employees of ``employer`` (web/registry/generate.py)."""
    from web.registry import RegistryError, import_registry
    from web.registry.generate import workforce

    services = _services()
    try:
        with services.sessions.begin() as session:
            summary = import_registry(session, workforce(employer, count,
                                                         services.clock.today()),
                                      services.passwords)
    except RegistryError as error:
        for problem in error.problems:
            click.echo(problem.as_text(), err=True)
        return 1
    click.echo(f"{employer}: {count} generated employees: "
               f"{summary.employees.created} created, {summary.employees.unchanged} unchanged")
    return 0


DEMO_FILES = ("registry.yaml", "staff.yaml", "employers.yaml")
"""The demo data, in demo/, imported in this order (registry format)."""

DEMO_WORKFORCE = ("EMP-0002", 5000)
"""The demo employer given generated employees, and how many (the Hôtel Bellevue Larvotto)."""

DEMO_LOGINS = [  # the same as the headers of demo/*.yaml (a test keeps them in step)
    "002490-12051960 / Moulins7   Alain Dupont: spouse and children, declaration open;"
    " two subscriptions, his (002490) and his spouse's (002491), in My profile",
    "123456-03091985 / Condam1n   Marie Rossi: single, no children section",
    "654321-21011970 / Larvott0   Paul Martin: not sent the questionnaire",
    "210987-17041990 / Ostende4   Lucie Bianchi: first login (letter), must choose a password",
    "agent.immat     / Imm4tric   staff, Service Immatriculation (+ code)",
    "agent.recouv    / Recouvr2   staff, Service Recouvrement (+ code)",
    "agent.prest     / Prest4t1   staff, Service Prestations (+ code)",
    "admin.csm       / Adm1nCsm   staff, administrator: sees every service (+ code)",
    "analyst.csm     / Anal1st8   staff, analyst: the analyst tools (+ code)",
    "300125          / Fournil5   employer Boulangerie du Rocher (subscriber number)",
    "300781          / Bilan7rz   accounting firm Fiduciaire Azur Conseil (subscriber number)",
]

DEMO_TOTP_SECRETS = {  # demo only, like the passwords above: never on a real account
    "agent.immat": "DEMOIMMATCSMTOTPSECRETAAAAAAAAAA",
    "agent.recouv": "DEMORECOUVCSMTOTPSECRETAAAAAAAAA",
    "agent.prest": "DEMOPRESTCSMTOTPSECRETAAAAAAAAAA",
    "admin.csm": "DEMOADMINCSMTOTPSECRETAAAAAAAAAA",
    "analyst.csm": "DEMOANALYSTCSMTOTPSECRETAAAAAAAA",
}
"""Each demo staff account's authenticator secret (base32): add it to an authenticator app, or
print the current code with ``flask --app web staff totp-code IDENTIFIER``."""
