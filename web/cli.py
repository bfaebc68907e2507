"""Commands: ``flask --app web workflows check | db upgrade | registry import FILE | demo``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import click
from flask import Flask, current_app

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

    @app.cli.command("demo")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    def demo(host: str, port: int) -> None:
        """Load the demo data and print the URL and demo logins."""
        code = _import(Path(__file__).resolve().parent.parent / "demo" / "registry.yaml")
        if code:
            sys.exit(code)
        base = f"http://{host}:{port}"
        click.echo(f"\nMember portal: {base}/  (JSON API: {base}/api/v1/)")
        click.echo("Demo logins (identifier / password):")
        for line in DEMO_LOGINS:
            click.echo(f"  {line}")


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


DEMO_LOGINS = [  # the same as the header of demo/registry.yaml (a test keeps them in step)
    "002490-12051960 / Moulins7   Alain Dupont: spouse and children, declaration open",
    "123456-03091985 / Condam1n   Marie Rossi: single, no children section",
    "654321-21011970 / Larvott0   Paul Martin: not sent the questionnaire",
    "210987-17041990 / Ostende4   Lucie Bianchi: first login (letter), must choose a password",
    "agent.immat     / Imm4tric   staff, Service Immatriculation",
]
