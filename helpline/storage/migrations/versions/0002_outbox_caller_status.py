"""outbox: index a caller's messages by status

A turn that replaces a caller's pending reminders looked them up by caller_id
alone; PostgreSQL then also scanned every pending row of ix_outbox_claimable
(status, due_at), a cost that grew with the queue (the turn's statement took
7.1 ms with 30,000 texts waiting, against 0.1-1.0 ms with this index, by
EXPLAIN ANALYZE).

The index is built while the old web processes still serve (storage.online_index).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 02:40:00
"""

from __future__ import annotations

from helpline.storage.online_index import swap_index

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    swap_index('outbox', new=('ix_outbox_caller_status', ['caller_id', 'status']), old='ix_outbox_caller_id')


def downgrade() -> None:
    swap_index('outbox', new=('ix_outbox_caller_id', ['caller_id']), old='ix_outbox_caller_status')
