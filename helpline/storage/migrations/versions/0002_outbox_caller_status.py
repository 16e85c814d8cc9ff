"""outbox: index a caller's messages by status

A turn that replaces a caller's pending reminders looked them up by caller_id
alone; PostgreSQL then also scanned every pending row of ix_outbox_claimable
(status, due_at), a cost that grew with the queue (the turn's statement took
7.1 ms with 30,000 texts waiting, against 0.1-1.0 ms with this index, by
EXPLAIN ANALYZE).

On PostgreSQL the index is built CONCURRENTLY, outside the migration's
transaction: the release step runs while the old web processes still serve,
and a plain CREATE INDEX would hold up every turn that queues a text until
the build was done. A build that was interrupted leaves its index behind
(perhaps invalid), so a run drops it first and builds it again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 02:40:00
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    _swap(new=('ix_outbox_caller_status', ['caller_id', 'status']), old='ix_outbox_caller_id')


def downgrade() -> None:
    _swap(new=('ix_outbox_caller_id', ['caller_id']), old='ix_outbox_caller_status')


def _swap(new: tuple[str, list[str]], old: str) -> None:
    """Create one index on outbox, then drop another."""
    name, columns = new
    if op.get_context().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(name, 'outbox', postgresql_concurrently=True, if_exists=True)
            op.create_index(name, 'outbox', columns, postgresql_concurrently=True)
            op.drop_index(old, 'outbox', postgresql_concurrently=True, if_exists=True)
        return
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(name, columns, unique=False)
        batch_op.drop_index(old)
