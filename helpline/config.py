"""Settings, read once from the environment and handed to whatever needs them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting has a value the helpline cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///helpline.db"
    database_pool: int = 20  # PostgreSQL connections each process keeps open
    public_base_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None
    validate_signatures: bool = True
    voice: str = "Polly.Amy"
    language: str = "en-GB"
    councils: list[str] = field(default_factory=list)
    flows_dir: Path = PROJECT / "flows"
    prompts_dir: Path = PROJECT / "prompts"
    directory_dir: Path = PROJECT / "directory"
    timezone: str = "Europe/London"
    quiet_start: time = time(20, 0)  # no reminders from this local time...
    quiet_end: time = time(9, 0)  # ...until this one
    reminder_days: tuple[int, ...] = (14, 7, 2)  # days before each deadline
    claim_lease: timedelta = timedelta(minutes=5)  # a worker's hold on a message it is sending
    sends_in_flight: int = 32  # texts one dispatcher has at Twilio at once

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        get = lambda name: env.get(name) or None  # noqa: E731 - empty means unset
        defaults = cls()
        return cls(
            database_url=_database_url(get("DATABASE_URL") or defaults.database_url),
            database_pool=_count("HELPLINE_DATABASE_POOL", get("HELPLINE_DATABASE_POOL"), defaults.database_pool),
            public_base_url=(get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_from_number=get("TWILIO_FROM_NUMBER"),
            twilio_messaging_service_sid=get("TWILIO_MESSAGING_SERVICE_SID"),
            twilio_api_base_url=get("TWILIO_API_BASE_URL"),
            validate_signatures=_flag("HELPLINE_VALIDATE_SIGNATURES", get("HELPLINE_VALIDATE_SIGNATURES"), True),
            voice=get("HELPLINE_VOICE") or defaults.voice,
            language=get("HELPLINE_LANGUAGE") or defaults.language,
            councils=[c.strip() for c in (get("HELPLINE_COUNCILS") or "").split(",") if c.strip()],
            flows_dir=Path(get("HELPLINE_FLOWS_DIR") or defaults.flows_dir),
            prompts_dir=Path(get("HELPLINE_PROMPTS_DIR") or defaults.prompts_dir),
            directory_dir=Path(get("HELPLINE_DIRECTORY_DIR") or defaults.directory_dir),
            timezone=get("HELPLINE_TIMEZONE") or defaults.timezone,
            quiet_start=_time("HELPLINE_QUIET_START", get("HELPLINE_QUIET_START"), defaults.quiet_start),
            quiet_end=_time("HELPLINE_QUIET_END", get("HELPLINE_QUIET_END"), defaults.quiet_end),
            reminder_days=_days("HELPLINE_REMINDER_DAYS", get("HELPLINE_REMINDER_DAYS"), defaults.reminder_days),
            claim_lease=_seconds("HELPLINE_CLAIM_LEASE_SECONDS", get("HELPLINE_CLAIM_LEASE_SECONDS"), defaults.claim_lease),
            sends_in_flight=_count(
                "HELPLINE_SENDS_IN_FLIGHT", get("HELPLINE_SENDS_IN_FLIGHT"), defaults.sends_in_flight
            ),
        )


def _flag(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r}: use 1 or 0")


def _time(name: str, value: str | None, default: time) -> time:
    if value is None:
        return default
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: use a 24-hour time such as 20:00") from None


def _seconds(name: str, value: str | None, default: timedelta) -> timedelta:
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise ConfigError(f"{name}={value!r}: use a number of seconds, such as 300")
    return timedelta(seconds=seconds)


def _count(name: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{name}={value!r}: use a whole number of 1 or more, such as 20")
    return int(value)


def _days(name: str, value: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    if value is None:
        return default
    try:
        days = tuple(sorted({int(part) for part in value.split(",") if part.strip()}, reverse=True))
    except ValueError:
        raise ConfigError(f"{name}={value!r}: use whole days before a deadline, such as 14,7,2") from None
    if not days or min(days) < 0:
        raise ConfigError(f"{name}={value!r}: use whole days before a deadline, such as 14,7,2")
    return days


def _database_url(url: str) -> str:
    """Accept the URLs hosting platforms hand out, and use the async drivers."""
    for prefix, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(prefix):
            return driver + url[len(prefix):]
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql+psycopg://")):
        raise ConfigError(f"DATABASE_URL={url!r}: use a sqlite:/// or postgresql:// URL")
    return url
