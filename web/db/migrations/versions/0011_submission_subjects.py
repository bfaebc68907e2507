"""submissions about a subject (an employer's client), unique keys, reminders sent

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 02:00:00.000000

Ref 004 (the wage declaration): an employer account declares for one of its clients, the
submission's **subject** (``subject_id``); a client declares a period once, whoever declares it
(``unique_key``, set at submission from the workflow's ``unique_per``, unique per workflow: the
database refuses a second one even when two accounts race); the reminder of the 20th is sent
once per client, period and account (``reminders``). New nullable columns and a new table:
downgrade drops them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # columns added in place and a unique index (not a constraint): no table rebuild on SQLite
    # (see 0008 for why a rebuild of submissions is delicate)
    op.add_column('submissions', sa.Column('subject_id', sa.String(length=40), nullable=True))
    op.add_column('submissions', sa.Column('unique_key', sa.String(length=200), nullable=True))
    op.create_index('uq_submissions_unique_key', 'submissions', ['workflow', 'unique_key'],
                    unique=True)
    op.create_index('ix_submissions_subject', 'submissions', ['workflow', 'subject_id'])
    op.create_table('reminders',
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('kind', 'subject_id', 'period', 'account_id')
    )


def downgrade() -> None:
    op.drop_table('reminders')
    op.drop_index('ix_submissions_subject', table_name='submissions')
    op.drop_index('uq_submissions_unique_key', table_name='submissions')
    for column in ('unique_key', 'subject_id'):
        if op.get_bind().dialect.name == 'sqlite':  # in place (SQLite 3.35+), no rebuild
            op.execute(f"ALTER TABLE submissions DROP COLUMN {column}")
        else:
            op.drop_column('submissions', column)
