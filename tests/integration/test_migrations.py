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
