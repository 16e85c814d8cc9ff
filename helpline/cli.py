"""The `helpline` command: serve, check, chat."""

from __future__ import annotations

import logging
import sys
from datetime import date

import click

from helpline.checker import CheckFailed
from helpline.config import ConfigError, Settings
from helpline.yamlfile import YamlError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error


def _build(settings: Settings):  # type: ignore[no-untyped-def]
    from helpline.helpline import build

    try:
        return build(settings)
    except (CheckFailed, YamlError) as error:
        raise click.ClickException(str(error)) from error


@click.group()
def main() -> None:
    """SEND disagreement helpline: Twilio webhooks, the conversation, the outbox."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("transitions").setLevel(logging.WARNING)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the webhooks (creates the SQLite tables on a fresh checkout)."""
    import uvicorn

    from helpline.web.app import create_app

    settings = _settings()
    app = create_app(_build(settings))
    click.echo(f"helpline: SMS webhook http://{host}:{port}/twilio/sms, voice http://{host}:{port}/twilio/voice")
    uvicorn.run(app, host=host, port=port, log_level="info")


@main.command()
def check() -> None:
    """Check the flow and the prompts; exit 1 naming each problem."""
    settings = _settings()
    _build(settings)
    click.echo(f"ok: {settings.flows_dir / 'helpline.yaml'} and the prompts in {settings.prompts_dir} are sound")


@main.command()
@click.option("--channel", type=click.Choice(["sms", "voice"]), default="sms", show_default=True)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Pretend today is this date.")
def chat(channel: str, today: object) -> None:
    """Talk to the flow in this terminal, as a caller would by SMS or keypad."""
    from helpline.chat import run_chat

    settings = _settings()
    day = today.date() if today else date.today()  # type: ignore[attr-defined]
    run_chat(_build(settings), channel, day, sys.stdin, sys.stdout)


@main.command()
@click.option("--drain", "drain_only", is_flag=True, help="Send what is due, then exit.")
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(min=0.01),
              help="Seconds between looks at an outbox with nothing due.")
@click.option("--batch", default=100, show_default=True, type=click.IntRange(min=1),
              help="Messages claimed at a time.")
def worker(drain_only: bool, poll: float, batch: int) -> None:
    """Send the outbox's due SMS until stopped (SIGTERM, Ctrl-C); any number may run at once."""
    import asyncio
    import signal

    from helpline.outbox import worker as outbox_worker
    from helpline.storage.database import create_tables

    settings = _settings()
    helpline = _build(settings)
    dispatcher = helpline.dispatcher

    async def work() -> None:
        if settings.database_url.startswith("sqlite"):
            await create_tables(helpline.database)
        try:
            if drain_only:
                click.echo(f"helpline worker: sent {await outbox_worker.drain(dispatcher, batch)}")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            await outbox_worker.run(dispatcher, stop, poll, batch)
        finally:
            await helpline.database.dispose()

    asyncio.run(work())
