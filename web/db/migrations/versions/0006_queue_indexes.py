"""the staff queue's indexes: a workflow's queue in order, counts, name search, owner lookups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:00:00.000000

Measured with bench/backoffice.py on a million submissions: the first page of a workflow's
queue and its pages newest first (ix_submissions_queue_all); the counts per status of a workflow
or of one period (ix_submissions_counts, read by an index-only scan); the search by last name or
an employer's name (lower(...) text_pattern_ops: a LIKE 'prefix%' reads them whatever the
collation); persons to their accounts (ix_accounts_person_id). The two expression indexes are
made on PostgreSQL only, as the models say (``ddl_if``): SQLite cannot reflect them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_LOWER = [('ix_persons_last_name_lower', 'persons', 'last_name', 'last_name_lower'),
          ('ix_accounts_display_name_lower', 'accounts', 'display_name', 'display_name_lower')]


def upgrade() -> None:
    op.create_index('ix_submissions_queue_all', 'submissions',
                    ['workflow', 'submitted_at', 'id'], unique=False)
    op.create_index('ix_submissions_counts', 'submissions', ['workflow', 'scope', 'status'],
                    unique=False)
    op.create_index(op.f('ix_accounts_person_id'), 'accounts', ['person_id'], unique=False)
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, table, column, label in _LOWER:
        op.create_index(name, table, [sa.func.lower(sa.column(column)).label(label)],
                        unique=False, postgresql_ops={label: 'text_pattern_ops'})


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, table, _column, _label in reversed(_LOWER):
            op.drop_index(name, table_name=table)
    op.drop_index(op.f('ix_accounts_person_id'), table_name='accounts')
    op.drop_index('ix_submissions_counts', table_name='submissions')
    op.drop_index('ix_submissions_queue_all', table_name='submissions')
