"""subscriptions: an account may hold several, and the mail options follow the subscription

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 01:00:00.000000

Ref 002 ("Profil abonné"): a person with several subscriptions (employee and spouse, say) switches
between them by their registration numbers, and the e-mail option of one does not spread to the
others. ``subscriptions`` holds one row per (account, insured person); the account's own person
is always its first subscription: one row is created for every member account with a person.

``mail_options`` and ``insurer_emails`` become per subscription (``subscription_id``); the
existing rows go to the account's first subscription. ``mail_options`` gets a surrogate key
(``id``): an account without a subscription (an employer, a member without a person) keeps one
row with ``subscription_id`` null, unique per account through a partial index.
``insurer_emails`` is keyed by (subscription, person) and keeps ``account_id``.

Neither table is referenced by another, so each is rebuilt the plain way on both databases: its
rows are read, the table dropped and created again under the same name, and the rows written
back. Downgrade keeps only the rows of the accounts' first subscriptions (the options of the
other subscriptions are lost: the older schema has no place for them) and drops
``subscriptions``.
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _new_mail_options() -> None:
    op.create_table('mail_options',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('insurer_terms_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', name='uq_mail_options_subscription_id')
    )
    op.create_index('ix_mail_options_account_id', 'mail_options', ['account_id'])
    op.create_index('uq_mail_options_account_own', 'mail_options', ['account_id'], unique=True,
                    sqlite_where=sa.text('subscription_id IS NULL'),
                    postgresql_where=sa.text('subscription_id IS NULL'))


def _new_insurer_emails() -> None:
    op.create_table('insurer_emails',
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], ),
    sa.PrimaryKeyConstraint('subscription_id', 'person_id')
    )
    op.create_index('ix_insurer_emails_account_id', 'insurer_emails', ['account_id'])


def _old_mail_options() -> None:
    op.create_table('mail_options',
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('insurer_terms_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('account_id')
    )


def _old_insurer_emails() -> None:
    op.create_table('insurer_emails',
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('account_id', 'person_id')
    )


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(column) for column in columns))


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table('subscriptions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'person_id', name='uq_subscriptions_account_person')
    )
    op.create_index('ix_subscriptions_account_id', 'subscriptions', ['account_id'])
    op.create_index('ix_subscriptions_person_id', 'subscriptions', ['person_id'])

    accounts = _table('accounts', 'id', 'kind', 'person_id')
    first: dict[str, str] = {}
    for account_id, person_id in bind.execute(
            sa.select(accounts.c.id, accounts.c.person_id).where(
                accounts.c.kind == 'member', accounts.c.person_id.is_not(None))
            .order_by(accounts.c.id)):
        first[account_id] = str(uuid.uuid4())
        bind.execute(_table('subscriptions', 'id', 'account_id', 'person_id').insert().values(
            id=first[account_id], account_id=account_id, person_id=person_id))

    old_options = _table('mail_options', 'account_id', 'channel', 'insurer_terms_accepted_at')
    options = bind.execute(sa.select(old_options)).all()
    old_emails = _table('insurer_emails', 'account_id', 'person_id', 'email')
    emails = bind.execute(sa.select(old_emails)).all()
    op.drop_table('insurer_emails')
    op.drop_table('mail_options')
    _new_mail_options()
    _new_insurer_emails()
    new_options = _table('mail_options', 'id', 'account_id', 'subscription_id', 'channel',
                         'insurer_terms_accepted_at')
    for row in options:
        bind.execute(new_options.insert().values(
            id=str(uuid.uuid4()), account_id=row.account_id,
            subscription_id=first.get(row.account_id), channel=row.channel,
            insurer_terms_accepted_at=row.insurer_terms_accepted_at))
    new_emails = _table('insurer_emails', 'subscription_id', 'person_id', 'account_id', 'email')
    for row in emails:
        if row.account_id in first:  # always: only a member with a person has a household
            bind.execute(new_emails.insert().values(
                subscription_id=first[row.account_id], person_id=row.person_id,
                account_id=row.account_id, email=row.email))


def downgrade() -> None:
    bind = op.get_bind()
    accounts = _table('accounts', 'id', 'person_id')
    subscriptions = _table('subscriptions', 'id', 'account_id', 'person_id')
    first = {row.id for row in bind.execute(
        sa.select(subscriptions.c.id).join(accounts, sa.and_(
            accounts.c.id == subscriptions.c.account_id,
            accounts.c.person_id == subscriptions.c.person_id)))}
    new_options = _table('mail_options', 'account_id', 'subscription_id', 'channel',
                         'insurer_terms_accepted_at')
    options = [row for row in bind.execute(sa.select(new_options))
               if row.subscription_id is None or row.subscription_id in first]
    new_emails = _table('insurer_emails', 'subscription_id', 'person_id', 'account_id', 'email')
    emails = [row for row in bind.execute(sa.select(new_emails))
              if row.subscription_id in first]
    op.drop_index('ix_insurer_emails_account_id', table_name='insurer_emails')
    op.drop_table('insurer_emails')
    op.drop_index('uq_mail_options_account_own', table_name='mail_options')
    op.drop_index('ix_mail_options_account_id', table_name='mail_options')
    op.drop_table('mail_options')
    _old_mail_options()
    _old_insurer_emails()
    kept: set[str] = set()
    old_options = _table('mail_options', 'account_id', 'channel', 'insurer_terms_accepted_at')
    for row in options:
        if row.account_id in kept:  # cannot happen: one first subscription per account
            continue
        kept.add(row.account_id)
        bind.execute(old_options.insert().values(
            account_id=row.account_id, channel=row.channel,
            insurer_terms_accepted_at=row.insurer_terms_accepted_at))
    old_emails = _table('insurer_emails', 'account_id', 'person_id', 'email')
    for row in emails:
        bind.execute(old_emails.insert().values(
            account_id=row.account_id, person_id=row.person_id, email=row.email))
    op.drop_index('ix_subscriptions_person_id', table_name='subscriptions')
    op.drop_index('ix_subscriptions_account_id', table_name='subscriptions')
    op.drop_table('subscriptions')
