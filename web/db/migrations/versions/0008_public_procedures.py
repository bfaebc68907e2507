"""public procedures: a submission without an account, found by its draft key

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 00:00:00.000000

A procedure of audience ``public`` (the subscription request) is filled in by a visitor who has
no account: ``submissions.owner_id`` becomes nullable, and ``draft_key_digest`` holds the SHA-256
(hex) of the random key the visitor's browser keeps in its session cookie; the server never
stores the key itself. The index finds a visitor's submission by that digest.

On SQLite a column cannot lose NOT NULL in place: the table is rebuilt. Alembic's batch mode
(copy into a new table, drop, rename) cannot be used here: with ``foreign_keys=ON`` the drop
orphans the rows that reference submissions (events, documents, ...) and the rename does not
adopt them again, so the commit fails. Instead the rows are kept aside, the table is dropped and
created again under its own name with foreign keys deferred, and the rows are put back: each
row inserted under the name ``submissions`` adopts its children again, so nothing is left
orphaned at commit. Indexes are created again from their stored definitions. The migration
test (tests/integration/test_migrations.py) runs it over a submission with its audit trail.

Downgrade drops ``draft_key_digest`` and its index; ``owner_id`` stays nullable (submissions
made by visitors may exist, and their audit trail cannot be deleted).
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        _sqlite_owner_nullable(bind)
    else:
        op.alter_column('submissions', 'owner_id', existing_type=sa.String(length=36),
                        nullable=True)
    op.add_column('submissions', sa.Column('draft_key_digest', sa.String(length=64),
                                           nullable=True))
    op.create_index('ix_submissions_draft_key_digest', 'submissions', ['draft_key_digest'])


def _sqlite_owner_nullable(bind: sa.engine.Connection) -> None:
    table_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'submissions'").scalar_one()
    indexes = [row[0] for row in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'submissions'"
        " AND sql IS NOT NULL")]
    triggers = [row[0] for row in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'submissions'")]
    new_sql = table_sql.replace("owner_id VARCHAR(36) NOT NULL", "owner_id VARCHAR(36)")
    if new_sql == table_sql:  # nullable already (upgraded, then downgraded)
        return
    # pysqlite opens a transaction only before a DML statement (DDL alone runs in autocommit,
    # where the pragma below would end at once): open it, then defer until it commits
    bind.exec_driver_sql("DELETE FROM submissions WHERE 0")
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    bind.exec_driver_sql("CREATE TABLE _submissions_0008 AS SELECT * FROM submissions")
    bind.exec_driver_sql("DROP TABLE submissions")
    bind.exec_driver_sql(new_sql)
    bind.exec_driver_sql("INSERT INTO submissions SELECT * FROM _submissions_0008")
    bind.exec_driver_sql("DROP TABLE _submissions_0008")
    for statement in (*indexes, *triggers):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    op.drop_index('ix_submissions_draft_key_digest', table_name='submissions')
    if op.get_bind().dialect.name == 'sqlite':  # in place (SQLite 3.35+), no rebuild
        op.execute("ALTER TABLE submissions DROP COLUMN draft_key_digest")
    else:
        op.drop_column('submissions', 'draft_key_digest')
