"""employers, their clients' accounts, employees, employment spells, contribution statements

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 02:00:00.000000

Ref 004 (the employer portal): the registry import brings the employers (the fund's employer
number, name, address, active or not, paid by direct debit or not), which employer accounts may
act for which employers (``employer_clients``: an accounting firm's clients; an employer that
declares for itself is its own single client), the employees, their employment spells (the
workforce of a month is derived from them) and the contribution statements (amounts in cents,
the PDF is drawn from them). New tables only: downgrade drops them.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('employers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('address', _JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('direct_debit', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_table('employees',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('registration', sa.String(length=6), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_employees_name', 'employees', ['last_name', 'first_name', 'id'])
    op.create_index(op.f('ix_employees_registration'), 'employees', ['registration'])
    op.create_table('employer_clients',
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('employer_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], ),
    sa.PrimaryKeyConstraint('account_id', 'employer_id')
    )
    op.create_index(op.f('ix_employer_clients_employer_id'), 'employer_clients',
                    ['employer_id'])
    op.create_table('employments',
    sa.Column('employer_id', sa.String(length=40), nullable=False),
    sa.Column('employee_id', sa.String(length=40), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], ),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], ),
    sa.PrimaryKeyConstraint('employer_id', 'employee_id', 'starts_on')
    )
    op.create_index('ix_employments_employer_start', 'employments',
                    ['employer_id', 'starts_on'])
    op.create_index(op.f('ix_employments_employee_id'), 'employments', ['employee_id'])
    op.create_table('contribution_statements',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('employer_id', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('lines', _JSON, nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('employer_id', 'period', name='uq_contribution_statements_period')
    )


def downgrade() -> None:
    op.drop_table('contribution_statements')
    op.drop_index(op.f('ix_employments_employee_id'), table_name='employments')
    op.drop_index('ix_employments_employer_start', table_name='employments')
    op.drop_table('employments')
    op.drop_index(op.f('ix_employer_clients_employer_id'), table_name='employer_clients')
    op.drop_table('employer_clients')
    op.drop_index(op.f('ix_employees_registration'), table_name='employees')
    op.drop_index('ix_employees_name', table_name='employees')
    op.drop_table('employees')
    op.drop_table('employers')
