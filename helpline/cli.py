"""The `helpline` command: serve, worker, check, chat, db, reminders, directory."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path

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


def _embedded_schema(settings: Settings) -> None:
    """On the embedded SQLite, bring the schema up to date before starting, so a
    fresh checkout just works; PostgreSQL is migrated by the release step."""
    if settings.database_url.startswith("sqlite"):
        from helpline.storage.migrations import upgrade

        upgrade(settings.database_url)


@click.group()
def main() -> None:
    """SEND disagreement helpline: Twilio webhooks, the conversation, the outbox."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Both log every step (a transition; each HTTP request to Twilio) at INFO.
    logging.getLogger("transitions").setLevel(logging.WARNING)
    logging.getLogger("twilio").setLevel(logging.WARNING)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--worker/--no-worker", default=None,
    help="Also send due reminders from this process (default: on with SQLite, off with PostgreSQL).",
)
def serve(host: str, port: int, worker: bool | None) -> None:
    """Serve the webhooks (on SQLite, creating or upgrading the tables first)."""
    import uvicorn

    from helpline.web.app import create_app, freeze_start_up

    settings = _settings()
    helpline = _build(settings)
    _embedded_schema(settings)
    if worker is None:
        worker = settings.database_url.startswith("sqlite")
    app = create_app(helpline, worker=worker)
    freeze_start_up()
    if worker:
        click.echo("helpline: sending due reminders from this process too")
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

    settings = _settings()
    helpline = _build(settings)
    _embedded_schema(settings)
    dispatcher = helpline.dispatcher

    async def work() -> None:
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
            await helpline.close()

    asyncio.run(work())


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database at DATABASE_URL to the latest schema (the Procfile's release step)."""
    from helpline.storage.migrations import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    click.echo("ok: the database schema is up to date")


@main.group()
def reminders() -> None:
    """The reminders and check-ins waiting to be sent."""


@reminders.command("list")
@click.option("--limit", default=50, show_default=True, type=int)
def reminders_list(limit: int) -> None:
    """What is due when, soonest first, with callers' numbers masked."""
    import asyncio
    from zoneinfo import ZoneInfo

    from helpline.outbox.listing import due_reminders

    settings = _settings()
    helpline = _build(settings)
    zone = ZoneInfo(settings.timezone)
    rows = asyncio.run(due_reminders(helpline.sessions, helpline.database, limit))
    if not rows:
        click.echo("no reminders waiting")
    for row in rows:
        due = row.due_at.astimezone(zone).strftime("%a %d %b %Y %H:%M")
        click.echo(f"{due}  {row.kind:<8}  {row.to}  {row.about}")


@main.group()
def directory() -> None:
    """The councils and the contacts the helpline texts."""


@directory.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def directory_import(file: Path) -> None:
    """Check a contacts CSV and, if every row is sound, make it directory/contacts.yaml."""
    from helpline.directory_import import import_contacts

    settings = _settings()
    problems = import_contacts(file, settings.directory_dir)
    if problems:
        raise click.ClickException("nothing was imported:\n" + "\n".join(problems))
    click.echo(f"ok: {settings.directory_dir / 'contacts.yaml'} replaced from {file}; restart the server to use it")


@directory.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--all", "all_councils", is_flag=True, help="A row for every council, to fill in.")
def directory_export(file: Path | None, all_councils: bool) -> None:
    """Write the contacts as CSV, to FILE or to the terminal."""
    from helpline.directory_import import export_contacts

    count = export_contacts(_settings().directory_dir, file or sys.stdout, all_councils=all_councils)
    if file:
        click.echo(f"ok: {count} councils written to {file}", err=True)


if __name__ == "__main__":
    main()
