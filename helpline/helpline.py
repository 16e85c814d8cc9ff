"""Everything a running helpline needs, built once from the settings at start-up."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from helpline.channels.words import Words
from helpline.checker import CheckFailed, check
from helpline.config import Settings
from helpline.directory import load_directory
from helpline.engine.engine import Engine
from helpline.flow import load_flow
from helpline.outbox.dispatch import Dispatcher
from helpline.web.paths import STATUS_PATH
from helpline.outbox.senders import make_sender
from helpline.prompts import load_catalogues
from helpline.storage.database import make_engine, make_sessions
from helpline.turns import TurnRunner

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass
class Helpline:
    settings: Settings
    engine: Engine
    words: Words
    database: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    turns: TurnRunner
    dispatcher: Dispatcher
    clock: Clock

    async def close(self) -> None:
        """Let go of the database's connections and the sender's, at shutdown."""
        await self.dispatcher.sender.close()
        await self.turns.close()
        await self.database.dispose()


def build(settings: Settings, clock: Clock | None = None) -> Helpline:
    """Load and check the flow and prompts, then wire the parts together.

    Refuses to build (CheckFailed) if the flow or prompts have a problem, so a
    broken edit never reaches a caller.
    """
    flow = load_flow(settings.flows_dir / "helpline.yaml")
    catalogues = load_catalogues(settings.prompts_dir)
    directory = load_directory(settings.directory_dir)
    problems = check(flow, catalogues)
    if problems:
        raise CheckFailed(problems)
    if settings.language not in catalogues:
        raise CheckFailed([f"HELPLINE_LANGUAGE={settings.language}: no prompts/{settings.language}.yaml"])
    catalogue = catalogues[settings.language]
    councils = directory.serving(settings.councils)
    engine = Engine(flow, catalogue, directory, councils, settings.reminder_days)
    words = Words(flow, catalogue, directory, councils)
    zone = ZoneInfo(settings.timezone)
    local_clock = clock or (lambda: datetime.now(zone))
    database = make_engine(settings.database_url, settings.database_pool)
    sessions = make_sessions(database)
    sender = make_sender(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from_number,
        settings.twilio_messaging_service_sid,
        settings.twilio_api_base_url,
    )
    return Helpline(
        settings=settings,
        engine=engine,
        words=words,
        database=database,
        sessions=sessions,
        turns=TurnRunner(database, engine, words, zone),
        dispatcher=Dispatcher(
            sessions,
            sender,
            quiet_start=settings.quiet_start,
            quiet_end=settings.quiet_end,
            zone=zone,
            status_callback_url=f"{settings.public_base_url}{STATUS_PATH}" if settings.public_base_url else None,
            lease=settings.claim_lease,
            in_flight=settings.sends_in_flight,
            clock=lambda: local_clock().astimezone(timezone.utc),
        ),
        clock=local_clock,
    )
