"""The Alembic migrations: at head they build exactly the models' schema, and the last one
goes down and up again without losing a row. On SQLite, and on PostgreSQL when
TEST_DATABASE_URL is set (see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, Table, inspect, select

from web.db.migrate import alembic_config, upgrade
from web.db.models import Base
from web.db.session import make_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    yield made
    made.dispose()


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def account_columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("accounts")}


def test_the_migrations_at_head_build_the_models_schema(engine):
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_0003_adds_the_security_question_and_goes_back_without_losing_accounts(engine):
    upgrade(engine, "0002")
    assert not account_columns(engine) & {"security_question", "security_answer_hash"}
    with engine.begin() as connection:
        accounts = Table("accounts", MetaData(), autoload_with=connection)
        connection.execute(accounts.insert().values(
            id="a1", identifier="300125", kind="employer", display_name="Boulangerie du Rocher",
            password_hash="$argon2id$x", email_validated=True, must_change_password=False,
            roles=[]))

    upgrade(engine)
    assert {"security_question", "security_answer_hash"} <= account_columns(engine)
    with engine.begin() as connection:
        accounts = Table("accounts", MetaData(), autoload_with=connection)
        row = connection.execute(select(accounts)).one()
        assert (row.identifier, row.security_question, row.security_answer_hash) == (
            "300125", None, None)
        connection.execute(accounts.update().values(security_question="Ville natale ?",
                                                    security_answer_hash="$argon2id$y"))

    downgrade(engine, "0002")
    assert not account_columns(engine) & {"security_question", "security_answer_hash"}
    with engine.connect() as connection:
        accounts = Table("accounts", MetaData(), autoload_with=connection)
        kept = connection.execute(select(accounts.c.identifier, accounts.c.display_name)).all()
    assert kept == [("300125", "Boulangerie du Rocher")]

    upgrade(engine)  # and up again
    assert {"security_question", "security_answer_hash"} <= account_columns(engine)


def test_0004_adds_the_mail_option_tables_and_goes_back(engine):
    upgrade(engine)
    assert {"mail_options", "insurer_emails"} <= set(inspect(engine).get_table_names())
    downgrade(engine, "0003")
    assert not {"mail_options", "insurer_emails"} & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert {"mail_options", "insurer_emails"} <= set(inspect(engine).get_table_names())


def test_0008_makes_owner_optional_without_losing_a_submission(engine):
    """A submission with its audit trail survives the rebuild (SQLite) and goes down again."""
    from datetime import UTC, datetime

    from sqlalchemy import text
    downgrade_to = "0007"
    upgrade(engine, downgrade_to)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO accounts (id, identifier, kind, display_name, password_hash,"
            " email_validated, must_change_password, roles) VALUES ('A1', '100001-01011970',"
            " 'member', '', 'x', false, false, '[]')"))
        connection.execute(text(
            "INSERT INTO submissions (id, workflow, version, owner_id, status, state, scope,"
            " revision, created_at, updated_at) VALUES ('S1', 'w', 1, 'A1', 'draft', '{}', '',"
            " 1, :now, :now)"), {"now": now})
        connection.execute(text(
            "INSERT INTO submission_events (submission_id, seq, at, actor_id, actor_kind, event,"
            " revision, detail, prev_hash, hash) VALUES ('S1', 1, :now, 'A1', 'member',"
            " 'started', 1, '{}', 'p', 'h')"), {"now": now})
    upgrade(engine)
    columns = {c["name"]: c for c in inspect(engine).get_columns("submissions")}
    assert columns["owner_id"]["nullable"] and "draft_key_digest" in columns
    with engine.begin() as connection:
        assert connection.execute(text("SELECT owner_id FROM submissions")).scalars().all() \
            == ["A1"]
        assert connection.execute(text("SELECT count(*) FROM submission_events")).scalar() == 1
    downgrade(engine, downgrade_to)
    assert "draft_key_digest" not in {c["name"] for c in inspect(engine).get_columns(
        "submissions")}
    upgrade(engine)


def test_0011_keys_submissions_per_subject_and_goes_back_without_losing_one(engine):
    """A submission of before survives; at head two sent ones with the same key are refused by
    the database, drafts (no key) are not; down again, the columns and the reminders go."""
    from datetime import UTC, datetime

    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError
    upgrade(engine, "0010")
    now = datetime(2026, 11, 23, tzinfo=UTC)
    insert = ("INSERT INTO submissions (id, workflow, version, owner_id, status, state, scope,"
              " revision, created_at, updated_at{extra}) VALUES (:id, 'w', 1, NULL, 'draft',"
              " '{{}}', '', 1, :now, :now{values})")
    with engine.begin() as connection:
        connection.execute(text(insert.format(extra="", values="")), {"id": "S1", "now": now})
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("submissions")}
    assert {"subject_id", "unique_key"} <= columns
    keyed = insert.format(extra=", subject_id, unique_key", values=", 'EMP-1', :key")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM submissions")).scalar() == 1
        connection.execute(text(keyed), {"id": "S2", "now": now, "key": "EMP-1|2026-11"})
        connection.execute(text(keyed), {"id": "S3", "now": now, "key": None})
        connection.execute(text(keyed), {"id": "S4", "now": now, "key": None})
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text(keyed), {"id": "S5", "now": now, "key": "EMP-1|2026-11"})
    downgrade(engine, "0010")
    columns = {c["name"] for c in inspect(engine).get_columns("submissions")}
    assert "subject_id" not in columns and "unique_key" not in columns
    assert "reminders" not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM submissions")).scalar() == 4
    upgrade(engine)
