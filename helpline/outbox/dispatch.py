"""Send what the outbox holds. Each message is claimed before it is sent, with a
conditional UPDATE, so two dispatchers never send the same message twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.outbox.senders import Sender
from helpline.phone import mask_number
from helpline.storage.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)


@dataclass
class Dispatcher:
    sessions: async_sessionmaker[AsyncSession]
    sender: Sender

    async def send_due(self, limit: int = 100) -> int:
        """Send every pending message that is due; returns how many were sent."""
        async with self.sessions() as session:
            ids = (
                await session.execute(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= utcnow())
                    .order_by(OutboxMessage.due_at)
                    .limit(limit)
                )
            ).scalars().all()
        sent = 0
        for message_id in ids:
            sent += await self._send_one(message_id)
        return sent

    async def _send_one(self, message_id: int) -> int:
        async with self.sessions() as session:
            claimed = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
                .values(status="sending", attempts=OutboxMessage.attempts + 1)
            )
            await session.commit()
            if claimed.rowcount != 1:
                return 0  # another dispatcher has it, or it was cancelled
            message = await session.get(OutboxMessage, message_id)
            result = await self.sender.send(message.to, message.body)
            if result.ok:
                message.status, message.sid, message.sent_at = "sent", result.sid, utcnow()
            elif result.permanent or message.attempts >= MAX_ATTEMPTS:
                message.status, message.error_code = "failed", result.error_code
                log.warning("SMS to %s failed: %s %s", mask_number(message.to), result.error_code, result.error_message)
            else:
                message.status, message.error_code = "pending", result.error_code
                message.due_at = utcnow() + RETRY_BASE * 2 ** (message.attempts - 1)
            session.add(message)
            await session.commit()
            return int(result.ok)
