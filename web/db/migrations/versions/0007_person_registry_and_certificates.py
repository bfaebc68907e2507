"""the persons' civil status and insurance population; issued certificates

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 23:00:00.000000

Persons gain what the personal data page shows (ref 002 "Interrogation des données
personnelles"): sex, birth place, nationality, family situation, the insurance population and
whether the fund awaits documents for the file (``awaiting_documents``, false for every existing
person). All but the last are nullable: the registry import fills them. The values allowed in
``marital_status`` and ``population`` are checked by the import (``web.db.models``), not by the
database, so a new value needs no migration.

``certificates``: the certificates issued from a certificate request, each with its
beneficiary and a unique verification code.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sex', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('birth_place', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('nationality', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('marital_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('population', sa.String(length=20), nullable=True))
        # a literal default ('0': false on PostgreSQL and SQLite), never an expression such
        # as sa.false(): on SQLite that would copy and drop the persons table, which the
        # accounts' foreign keys forbid once persons have accounts
        batch_op.add_column(sa.Column('awaiting_documents', sa.Boolean(), nullable=False,
                                      server_default='0'))

    op.create_table('certificates',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('verification_code', sa.String(length=20), nullable=False),
    sa.Column('submission_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('document', sa.String(length=63), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('content', _JSON, nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('verification_code')
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_submission_id'), ['submission_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_submission_id'))
    op.drop_table('certificates')
    # ALTER TABLE ... DROP COLUMN, SQLite (3.35+) included: a batch would copy and drop the
    # persons table, which the accounts' foreign keys forbid once persons have accounts
    for column in ('awaiting_documents', 'population', 'marital_status', 'nationality',
                   'birth_place', 'sex'):
        op.drop_column('persons', column)
