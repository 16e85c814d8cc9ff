"""outbox: index a caller's messages by status

A turn that replaces a caller's pending reminders looked them up by caller_id
alone; PostgreSQL then also scanned every pending row of ix_outbox_claimable
(status, due_at), a cost that grew with the queue (7 ms a turn with 30,000
texts waiting, against 0.2 ms with this index).

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
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_caller_status', ['caller_id', 'status'], unique=False)
        batch_op.drop_index('ix_outbox_caller_id')


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_caller_id', ['caller_id'], unique=False)
        batch_op.drop_index('ix_outbox_caller_status')
