"""Opting a caller out of texts: when they say STOP, or Twilio tells us they did
(error 21610 on a send)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from helpline.storage.models import Caller, OutboxMessage, one_of

UNSENT = ("pending", "sending")


async def opt_out(session: AsyncSession | AsyncConnection, caller_id: int, now: datetime) -> None:
    """No more texts to this caller, including those already queued or being
    claimed for sending (a dispatcher re-checks before it sends). Bumps the
    caller's version, so a turn saving at the same time starts again and keeps
    the opt-out. In the caller's transaction: nothing is committed here. `now`
    is the helpline's clock, as for every other change to a caller."""
    await session.execute(
        update(Caller)
        .where(Caller.id == caller_id)
        .values(opted_out=True, version=Caller.version + 1, updated_at=now)
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.caller_id == caller_id, one_of(OutboxMessage.status, UNSENT))
        .values(status="cancelled")
    )


OPTED_OUT_AT_TWILIO = 21610  # "Attempt to send to unsubscribed recipient"


async def record_delivery(
    sessions: async_sessionmaker[AsyncSession], message_sid: str, status: str, error_code: int | None, now: datetime
) -> None:
    """Keep Twilio's latest delivery status on the outbox row it reports on."""
    async with sessions() as session:
        message = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.sid == message_sid))
        ).scalar_one_or_none()
        if message is None:
            return  # not one of ours (or sent before this database): nothing to record
        message.delivery_status = status
        if error_code is not None:
            message.error_code = error_code
        if error_code == OPTED_OUT_AT_TWILIO:
            await opt_out(session, message.caller_id, now)
        await session.commit()
