"""``flask --app web workflows diff | dump-drafts | migrate`` (docs/publishing.md).

Exit codes: 0 done; 1 a version is unknown, the migration does not fit, or a draft would break
(the others moved all the same, unless ``--dry-run``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from web.services import Services


def add_publishing_commands(group: click.Group, services: Callable[[], Services]) -> None:
    @group.command("diff")
    @click.argument("workflow")
    @click.option("--from", "old_version", type=int, required=True, help="The older version.")
    @click.option("--to", "new_version", type=int, required=True, help="The newer version.")
    @click.option("--lang", type=click.Choice(["fr", "en"]), default="fr")
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
    def diff_command(workflow: str, old_version: int, new_version: int, lang: str,
                     fmt: str) -> None:
        """What changes for members from one version to another (versions in the database)."""
        from engine.diff import diff, migration_issues, render
        from engine.migrations import Migration
        from web.publishing import PublishingError, stored_bundle, version

        found = services()
        try:
            with found.sessions() as session:
                old = version(session, found.catalog, workflow, old_version)
                new = version(session, found.catalog, workflow, new_version)
                bundle = stored_bundle(session, workflow, new_version)
        except PublishingError as error:
            click.echo(str(error), err=True)
            sys.exit(1)
        issues = migration_issues(old, bundle)
        click.echo(render(old, new, diff(old, new, Migration.of(bundle.workflow)), issues, lang,
                          fmt))
        sys.exit(1 if issues else 0)

    @group.command("dump-drafts")
    @click.argument("workflow")
    @click.option("--version", "number", type=int, required=True)
    def dump_command(workflow: str, number: int) -> None:
        """Print the drafts of one version as JSON ([{id, state}]), for `migrate --dump`."""
        from web.publishing import dump_drafts

        with services().sessions() as session:
            click.echo(json.dumps(dump_drafts(session, workflow, number), ensure_ascii=False,
                                  indent=1))

    @group.command("migrate")
    @click.argument("workflow")
    @click.option("--dry-run", is_flag=True, help="Report only: move no draft.")
    @click.option("--dump", "dump", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="Check the drafts of this JSON dump instead of the database (report only).")
    @click.option("--lang", type=click.Choice(["fr", "en"]), default="en")
    def migrate_command(workflow: str, dry_run: bool, dump: Path | None, lang: str) -> None:
        """Move the drafts of the version the current version's `migrate` starts from: those
        that migrate cleanly move, the others are listed with their problems (exit 1)."""
        from web.publishing import (
            PublishingError,
            check_dump,
            current_migration,
            migrate_drafts,
            read_dump,
        )

        found = services()
        try:
            if dump is not None:
                with found.sessions() as session:
                    old, new, migration = current_migration(session, found.catalog, workflow)
                run = check_dump(old, new, migration, read_dump(dump.read_text("utf-8")))
                dry_run = True
            else:
                with found.sessions.begin() as session:
                    old, new, migration = current_migration(session, found.catalog, workflow)
                    run = migrate_drafts(session, old, new, migration, found.clock.now(),
                                         dry_run)
        except PublishingError as error:
            click.echo(str(error), err=True)
            sys.exit(1)
        click.echo(run.as_text(lang, dry_run))
        sys.exit(1 if run.broken else 0)
