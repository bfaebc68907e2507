"""back office: staff second factor, the hash-chained audit trail, notifications

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:00:00.000000

Existing events are numbered and chained in their insertion order (the hash function is frozen
here, as it was when this migration was written: ``web.audit.entry_hash``). UPDATE and DELETE on
``submission_events`` are then refused by triggers, on SQLite as on PostgreSQL.
"""
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
REFUSAL = "submission_events is append-only"


def _hash(prev: str, submission_id: str, seq: int, at: datetime, actor_id: str | None,
          actor_kind: str, event: str, revision_: int, detail: dict[str, Any]) -> str:
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    payload = {"prev": prev, "submission": submission_id, "seq": seq,
               "at": at.isoformat(timespec="microseconds"), "actor": actor_id,
               "actor_kind": actor_kind, "event": event, "revision": revision_,
               "detail": detail}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _chain_existing_events() -> None:
    bind = op.get_bind()
    events = sa.Table("submission_events", sa.MetaData(), autoload_with=bind)
    rows = bind.execute(sa.select(events).order_by(events.c.submission_id, events.c.id)).all()
    current, prev, seq = None, GENESIS, 0
    for row in rows:
        if row.submission_id != current:
            current, prev, seq = row.submission_id, GENESIS, 0
        seq += 1
        detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail or "{}")
        digest = _hash(prev, row.submission_id, seq, row.at, row.actor_id, row.actor_kind,
                       row.event, row.revision, detail)
        bind.execute(events.update().where(events.c.id == row.id)
                     .values(seq=seq, prev_hash=prev, hash=digest))
        prev = digest


def upgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    with op.batch_alter_table('submission_events') as batch:
        batch.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table('submission_events') as batch:
        batch.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint('uq_submission_events_seq', ['submission_id', 'seq'])
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('submission_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('content', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
              nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_notifications_account_id'), 'notifications', ['account_id'],
                    unique=False)
    op.create_index(op.f('ix_notifications_submission_id'), 'notifications', ['submission_id'],
                    unique=False)
    _refuse_changes()


def _refuse_changes() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION submission_events_append_only() RETURNS trigger"
                   f" LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$")
        op.execute("CREATE TRIGGER submission_events_append_only"
                   " BEFORE UPDATE OR DELETE ON submission_events"
                   " FOR EACH ROW EXECUTE FUNCTION submission_events_append_only()")
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER submission_events_no_{verb.lower()}"
                   f" BEFORE {verb} ON submission_events"
                   f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")


def _allow_changes() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS submission_events_append_only ON submission_events")
        op.execute("DROP FUNCTION IF EXISTS submission_events_append_only()")
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS submission_events_no_{verb}")


def downgrade() -> None:
    _allow_changes()
    op.drop_index(op.f('ix_notifications_submission_id'), table_name='notifications')
    op.drop_index(op.f('ix_notifications_account_id'), table_name='notifications')
    op.drop_table('notifications')
    with op.batch_alter_table('submission_events') as batch:
        batch.drop_constraint('uq_submission_events_seq', type_='unique')
        batch.drop_column('hash')
        batch.drop_column('prev_hash')
        batch.drop_column('seq')
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('totp_last_step')
        batch.drop_column('totp_secret')

