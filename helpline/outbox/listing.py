"""What operators see of the outbox: reminders due, soonest first, numbers masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from helpline.outbox.dispatch import QUIET_KINDS
from helpline.phone import mask_number
from helpline.storage.models import OutboxMessage, one_of


@dataclass(frozen=True)
class DueReminder:
    due_at: datetime
    kind: str
    to: str  # masked
    about: str  # the first line of the text


async def due_reminders(
    sessions: async_sessionmaker[AsyncSession], database: AsyncEngine, limit: int
) -> list[DueReminder]:
    try:
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.status == "pending", one_of(OutboxMessage.kind, QUIET_KINDS))
                    .order_by(OutboxMessage.due_at)
                    .limit(limit)
                )
            ).scalars().all()
    finally:
        await database.dispose()
    return [
        DueReminder(row.due_at, row.kind, mask_number(row.to), row.body.splitlines()[0]) for row in rows
    ]

