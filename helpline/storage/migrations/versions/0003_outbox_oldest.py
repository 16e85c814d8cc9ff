"""outbox: index the claimable messages in the order dispatchers send them

A dispatcher takes the oldest due messages, by (due_at, id). The index on
(status, due_at) could not give that order with the id, and reminders share
their due_at (10:00 on the day), so PostgreSQL sorted every due message at
each claim: with 100,000 waiting, a sequential scan of the outbox and a sort
spilling to disk, 39 ms by EXPLAIN ANALYZE, for each batch of 200. With
(status, due_at, id) the claim reads its batch from the index in order.

The index is built while the old web processes still serve (storage.online_index).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:10:00
"""

from __future__ import annotations

from helpline.storage.online_index import swap_index

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    swap_index('outbox', new=('ix_outbox_oldest', ['status', 'due_at', 'id']), old='ix_outbox_claimable')


def downgrade() -> None:
    swap_index('outbox', new=('ix_outbox_claimable', ['status', 'due_at']), old='ix_outbox_oldest')
