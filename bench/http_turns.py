"""Benchmark: SMS and voice turns against a bare Starlette endpoint, side by side.

Each server runs alone under uvicorn with the same settings: one process, no
access log, asyncio's loop and h11, as `uvicorn app:app` runs with the
project's own dependencies (the bench extra's httptools is for the fake Twilio
API only). Each first serves a history of conversations (so the database is not
empty, as a helpline's never is; analyzed on PostgreSQL, as autovacuum would
have: bench.databases.analyze); then wrk drives it with 32 connections,
replaying pre-signed, Twilio-shaped requests from many callers (signatures are
checked, as in production). The SMS run also serves the bare endpoint reading its form as the
helpline does (parse_qsl, not request.form()) and the helpline with its
callers kept in a dict instead of the database (bench/in_memory_app.py).
Prints a Markdown table; also the web process's CPU time per request (steadier
than req/s when the VM's neighbours are busy) and its resident memory before
and after.

    .venv/bin/python -m bench.http_turns --database sqlite
    .venv/bin/python -m bench.http_turns --database postgres
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.databases import analyze, database
from bench.wrk_requests import ACCOUNT_SID, AUTH_TOKEN, HELPLINE_NUMBER, sms_requests, voice_requests, write_lua
from tests.fake_twilio import FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(app: str, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--log-level", "warning", "--loop", "asyncio", "--http", "h11"],
        cwd=ROOT, env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.post(f"{base}/twilio/sms", data={}).status_code in (200, 400, 403, 422):
                    break
            time.sleep(0.05)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used: steadier than req/s on a
    virtual machine whose neighbours take turns on the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _send_all(base: str, requests: list[tuple[str, str, str]], connections: int) -> None:
    """Each request once, `connections` at a time; each must be answered 2xx."""
    waiting = iter(requests)
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        async def one_connection() -> None:
            for path, body, signature in waiting:
                response = await client.post(path, content=body, headers={**HEADERS, "X-Twilio-Signature": signature})
                response.raise_for_status()

        await asyncio.gather(*(one_connection() for _ in range(connections)))


def wrk(base: str, lua: Path, seconds: int, connections: int, threads: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(lua), base],
        capture_output=True, text=True, check=True,
    ).stdout
    def ms(label: str) -> float:
        value, unit = re.search(rf"\s{label}\s+([\d.]+)(us|ms|s)\b", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"),
        "p99": ms("99%"),
        "non2xx": float(errors.group(1)) if errors else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    # Few enough that a run goes through whole conversations: each caller's next
    # text comes a round of all callers later, so with 5,000 callers a slow
    # machine measured nothing but first turns.
    parser.add_argument("--callers", type=int, default=400)
    parser.add_argument("--requests", type=int, default=60000, help="pre-signed requests per run")
    # Enough that the measured run's statements are planned for tables that
    # hold a history, as a helpline's do. PostgreSQL's CPU a turn, analyzed
    # after 2,000 turns: 220 us; after 5,000: 97; after 20,000: 75.
    parser.add_argument("--history", type=int, default=10000, help="requests served before the measured run")
    args = parser.parse_args()

    rows = []
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake, tempfile.TemporaryDirectory() as folder:
        for channel, make in (("sms", sms_requests), ("voice", voice_requests)):
            servers = [("bare Starlette", "bench.bare_app:app"), ("helpline", "app:app")]
            if channel == "sms":  # the form read as the helpline reads it; how much of a turn is its database
                servers.insert(1, ("bare Starlette, parse_qsl", "bench.bare_app:app_read_form"))
                servers.append(("helpline, callers in a dict", "bench.in_memory_app:app"))
            for name, app in servers:
                with database(args.database) as url:
                    port_env = {
                        "DATABASE_URL": url, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                        "TWILIO_FROM_NUMBER": HELPLINE_NUMBER, "TWILIO_API_BASE_URL": fake.base_url,
                        "HELPLINE_COUNCILS": "E08000003,E10000016",
                        "HELPLINE_DATABASE_POOL": str(args.connections),  # a connection per request in flight
                    }
                    with server(app, port_env) as (base, pid):
                        lua = Path(folder) / f"{channel}.lua"
                        requests = make(args.history + args.requests, args.callers, base)
                        asyncio.run(_send_all(base, requests[:args.history], args.connections))
                        analyze(url)
                        write_lua(requests[args.history:], args.threads, lua)
                        before, cpu = rss_mb(pid), cpu_seconds(pid)
                        result = wrk(base, lua, args.seconds, args.connections, args.threads)
                        result["cpu_ms"] = (cpu_seconds(pid) - cpu) * 1000 / result["requests"]
                        rows.append((channel, name, result, before, rss_mb(pid)))
    print(f"| turn | server | req/s | p50 ms | p99 ms | non-2xx | CPU ms/req | RSS MB before -> after |  "
          f"({args.database}, {args.connections} connections, {args.seconds}s)")
    print("|---|---|---|---|---|---|---|---|")
    for channel, name, r, before, after in rows:
        print(f"| {channel} | {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['non2xx']:.0f} "
              f"| {r['cpu_ms']:.2f} | {before:.0f} -> {after:.0f} |")


if __name__ == "__main__":
    main()
