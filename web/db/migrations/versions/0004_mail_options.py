"""mail options and the complementary insurers' addresses

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_options',
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('insurer_terms_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('insurer_emails',
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('account_id', 'person_id')
    )


def downgrade() -> None:
    op.drop_table('insurer_emails')
    op.drop_table('mail_options')
