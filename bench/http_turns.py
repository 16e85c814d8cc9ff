"""Benchmark: SMS and voice turns against a bare Starlette endpoint, side by side.

Each server runs under uvicorn with the same settings: one process, no access
log, asyncio's loop and h11, as `uvicorn app:app` runs with the project's own
dependencies (the bench extra's httptools is for the fake Twilio API only).
Each first serves a history of conversations (a helpline's database is never
empty). Then, round after round, wrk drives each in turn for a slice of seconds
with 32 connections, replaying pre-signed, Twilio-shaped requests from many
callers (signatures are checked against PUBLIC_BASE_URL, as deployed), while
the others wait: a change in the machine's speed falls on all of them alike,
and each round gives a ratio of the helpline to the bare endpoint measured
seconds, not minutes, apart. Before each slice the server's database is
analyzed, as autovacuum would have (on PostgreSQL: bench.databases.analyze):
the history and each slice add thousands of callers, and autovacuum analyzes a
table once a tenth of it has changed.
The SMS run also serves the bare endpoint reading its form as the helpline
does (parse_qsl, not request.form()) and the helpline with its callers kept in
a dict instead of the database (bench/in_memory_app.py). Prints a Markdown
table; also the web process's CPU time per request and its resident memory
before and after.

    .venv/bin/python -m bench.http_turns --database sqlite
    .venv/bin/python -m bench.http_turns --database postgres
    .venv/bin/python -m bench.http_turns --database postgres --channels sms --loop uvloop
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.databases import analyze, database
from bench.wrk_requests import (
    ACCOUNT_SID, AUTH_TOKEN, HELPLINE_NUMBER, KEYS_SCRIPT, PUBLIC, SMS_SCRIPT, callers_taken, sms_requests,
    voice_requests, write_lua,
)
from tests.fake_twilio import FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(app: str, env: dict[str, str], loop: str = "asyncio") -> Iterator[tuple[str, int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--log-level", "warning", "--loop", loop, "--http", "h11"],
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


@dataclass
class Served:
    """One server under test, and what its slices of the run measured."""

    channel: str
    name: str
    base: str
    pid: int
    next_caller: int
    database_url: str
    rss_before: float = 0.0
    rss_after: float = 0.0
    cpu_seconds: float = 0.0
    slices: list[dict[str, float]] = field(default_factory=list)


# Each channel's servers; the first is the baseline the others are set against.
SERVERS = {
    "sms": [
        ("bare Starlette", "bench.bare_app:app"),
        ("bare Starlette, parse_qsl", "bench.bare_app:app_read_form"),  # the form read as the helpline reads it
        ("helpline", "app:app"),
        ("helpline, callers in a dict", "bench.in_memory_app:app"),  # how much of a turn is its database
    ],
    "voice": [("bare Starlette", "bench.bare_app:app"), ("helpline", "app:app")],
}
REQUESTS = {"sms": (sms_requests, len(SMS_SCRIPT)), "voice": (voice_requests, len(KEYS_SCRIPT))}


def measure_slice(served: Served, args: argparse.Namespace, folder: Path) -> None:
    """wrk for one slice, with requests of callers new to this server: each
    slice's conversations start from their first step."""
    make, length = REQUESTS[served.channel]
    requests = make(args.requests, args.callers, PUBLIC, first_caller=served.next_caller)
    served.next_caller += callers_taken(args.requests, args.callers, length)
    lua = folder / "slice.lua"
    write_lua(requests, args.threads, lua)
    cpu = cpu_seconds(served.pid)
    result = wrk(served.base, lua, args.seconds, args.connections, args.threads)
    served.cpu_seconds += cpu_seconds(served.pid) - cpu
    if result["requests"] + args.connections >= args.requests:  # wrk starts the list again: retries
        raise SystemExit(f"{served.name} answered all {args.requests} requests of a slice: raise --requests")
    served.slices.append(result)


def serve_channel(channel: str, args: argparse.Namespace, fake_url: str, folder: Path) -> list[Served]:
    """All of a channel's servers up at once, each with its history, then
    measured in turns, round after round, so that a change in the machine's
    speed (on these virtual machines, a fifth or more from one minute to the
    next) falls on all of them alike."""
    make, length = REQUESTS[channel]
    with contextlib.ExitStack() as stack:
        running = []
        for name, app in SERVERS[channel]:
            url = stack.enter_context(database(args.database))
            env = {
                "DATABASE_URL": url, "PUBLIC_BASE_URL": PUBLIC,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "TWILIO_FROM_NUMBER": HELPLINE_NUMBER, "TWILIO_API_BASE_URL": fake_url,
                "HELPLINE_COUNCILS": "E08000003,E10000016",
                "HELPLINE_DATABASE_POOL": str(args.connections),  # a connection per request in flight
            }
            base, pid = stack.enter_context(server(app, env, args.loop))
            asyncio.run(_send_all(base, make(args.history, args.callers, PUBLIC), args.connections))
            served = Served(channel, name, base, pid, callers_taken(args.history, args.callers, length), url)
            served.rss_before = rss_mb(pid)
            running.append(served)
        for _ in range(args.rounds):
            for served in running:
                analyze(served.database_url)
                measure_slice(served, args, folder)
        for served in running:
            served.rss_after = rss_mb(served.pid)
    return running


def table(rows: list[Served], args: argparse.Namespace) -> str:
    """Medians over the rounds; "of bare" is each round's req/s over the
    baseline's in the same round (median, and the range)."""
    lines = [
        f"| turn | server | req/s | of bare | p50 ms | p99 ms | non-2xx | CPU ms/req | RSS MB before -> after |  "
        f"({args.database}, {args.connections} connections, {args.rounds} rounds of {args.seconds} s)",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for served in rows:
        baseline = next(row for row in rows if row.channel == served.channel)
        ratios = [mine["rps"] / theirs["rps"] for mine, theirs in zip(served.slices, baseline.slices)]
        median = {key: statistics.median(result[key] for result in served.slices) for key in ("rps", "p50", "p99")}
        requests = sum(result["requests"] for result in served.slices)
        lines.append(
            f"| {served.channel} | {served.name} | {median['rps']:.0f} "
            f"| {statistics.median(ratios):.0%} ({min(ratios):.0%}-{max(ratios):.0%}) "
            f"| {median['p50']:.1f} | {median['p99']:.1f} | {sum(r['non2xx'] for r in served.slices):.0f} "
            f"| {served.cpu_seconds * 1000 / requests:.2f} | {served.rss_before:.0f} -> {served.rss_after:.0f} |"
        )
    lines.append("")
    lines.append("req/s of each round: " + "; ".join(
        f"{served.channel} {served.name} " + " ".join(f"{result['rps']:.0f}" for result in served.slices)
        for served in rows
    ))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="a server's slice of a round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    # Few enough that a run goes through whole conversations: each caller's next
    # text comes a round of all callers later, so with 5,000 callers a slow
    # machine measured nothing but first turns.
    parser.add_argument("--callers", type=int, default=400)
    parser.add_argument("--requests", type=int, default=80000,
                        help="pre-signed requests a slice: more than the fastest server answers in --seconds")
    # Enough that the measured run's statements are planned for tables that
    # hold a history, as a helpline's do. PostgreSQL's CPU a turn, analyzed
    # after 2,000 turns: 220 us; after 5,000: 97; after 20,000: 75.
    parser.add_argument("--history", type=int, default=10000, help="requests served before the measured run")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio",
                        help="every server's event loop (uvloop: pip install -e '.[bench]')")
    parser.add_argument("--channels", nargs="+", choices=list(SERVERS), default=list(SERVERS))
    args = parser.parse_args()

    rows = []
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake, tempfile.TemporaryDirectory() as folder:
        for channel in args.channels:
            rows += serve_channel(channel, args, fake.base_url, Path(folder))
    print(table(rows, args))


if __name__ == "__main__":
    main()
