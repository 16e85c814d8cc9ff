"""The `helpline` command as an operator meets it: serve on a fresh checkout,
db upgrade, reminders list, directory import and export."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from helpline.cli import main
from tests.conftest import Phone
from tests.test_directory_import import GOOD, SHIPPED

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: nothing from the developer's shell leaks in."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("HELPLINE_", "TWILIO_", "DATABASE_URL", "PUBLIC_"))}
    return {**keep, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", **extra}


def test_serve_on_a_fresh_checkout_just_works(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "helpline.cli", "serve", "--port", str(port)],
        cwd=tmp_path, env=_env(tmp_path, TWILIO_AUTH_TOKEN="token"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("helpline serve did not answer /healthz within 10 s")
        assert health.text == "ok"
        # The embedded setup is one process: it sends reminders too, until it stops.
        unsigned = httpx.post(f"http://127.0.0.1:{port}/twilio/sms", data={"From": "+447700900123", "Body": "hi"})
        assert unsigned.status_code == 403
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert (tmp_path / "cli.db").exists()
    assert "sending due reminders from this process too" in output
    assert "outbox worker" in output and "stopped" in output  # the in-process worker ended cleanly


def test_db_upgrade(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "the database schema is up to date" in result.output


def test_a_bad_setting_is_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check"], env=_env(tmp_path, HELPLINE_QUIET_START="8pm"))
    assert result.exit_code == 1
    assert "HELPLINE_QUIET_START='8pm': use a 24-hour time such as 20:00" in result.output


async def test_reminders_list_shows_what_is_due_with_numbers_masked(phone: Phone, settings) -> None:
    for text in ("hi", "1", "assessment", "2 November 2026", "no", "yes", "kent"):
        await phone.text(text)
    env = {"DATABASE_URL": settings.database_url}
    # The command runs its own event loop: give it a thread of its own.
    result = await asyncio.to_thread(CliRunner().invoke, main, ["reminders", "list"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("Thu 17 Dec 2026 10:00  reminder  +44*******123  SEND helpline reminder: contact")
    assert "900123" not in result.output


def test_reminders_list_when_none(tmp_path: Path) -> None:
    CliRunner().invoke(main, ["db", "upgrade"], env=_env(tmp_path))
    result = CliRunner().invoke(main, ["reminders", "list"], env=_env(tmp_path))
    assert result.exit_code == 0 and "no reminders waiting" in result.output


@pytest.fixture
def directory_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "directory"
    shutil.copytree(SHIPPED, folder)
    return folder


def test_directory_import_then_export(tmp_path: Path, directory_dir: Path) -> None:
    sheet = tmp_path / "contacts.csv"
    sheet.write_text(GOOD, encoding="utf-8")
    env = _env(tmp_path, HELPLINE_DIRECTORY_DIR=str(directory_dir))
    imported = CliRunner().invoke(main, ["directory", "import", str(sheet)], env=env)
    assert imported.exit_code == 0, imported.output
    exported = CliRunner().invoke(main, ["directory", "export"], env=env)
    assert exported.exit_code == 0
    assert "Example Mediation Ltd" in exported.output and "0161 496 0000" in exported.output


def test_directory_import_rejects_a_bad_sheet_and_keeps_the_old_data(tmp_path: Path, directory_dir: Path) -> None:
    before = (directory_dir / "contacts.yaml").read_bytes()
    sheet = tmp_path / "contacts.csv"
    sheet.write_text(GOOD.replace("0161 496 0000", "0161 49"), encoding="utf-8")
    env = _env(tmp_path, HELPLINE_DIRECTORY_DIR=str(directory_dir))
    result = CliRunner().invoke(main, ["directory", "import", str(sheet)], env=env)
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert f"{sheet.name}:2:" in result.output and "0161 49" in result.output
    assert (directory_dir / "contacts.yaml").read_bytes() == before
