"""The `helpline` command: serve, check, chat."""

from __future__ import annotations

import logging
import sys
from datetime import date

import click

from helpline.checker import CheckFailed
from helpline.config import ConfigError, Settings


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error


def _build(settings: Settings):  # type: ignore[no-untyped-def]
    from helpline.helpline import build

    try:
        return build(settings)
    except CheckFailed as error:
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
