"""Benchmark: resident memory of one web process before and after 50,000
conversations (each a new caller texting the helpline and answering twice).

    .venv/bin/python -m bench.memory --conversations 50000
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from bench.databases import database
from bench.http_turns import rss_mb, server
from bench.wrk_requests import ACCOUNT_SID, AUTH_TOKEN, HELPLINE_NUMBER, sms_requests
from tests.fake_twilio import FakeTwilio

TURNS = 3  # "hi", then two answers: a conversation with state and answers saved


async def drive(base: str, conversations: int, connections: int, first_caller: int = 0) -> int:
    """Send every conversation's turns; returns how many requests were sent again.

    A request that fails in transport (the server closing a kept-alive
    connection as it was reused) is sent again: each has its own MessageSid, and
    the helpline answers a repeated one from its receipt without a second turn.
    """
    requests = sms_requests(conversations * TURNS, conversations, base, first_caller)
    gate = asyncio.Semaphore(connections)
    limits = httpx.Limits(max_connections=connections)
    resent = 0
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def post(path: str, body: str, signature: str) -> None:
            nonlocal resent
            headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
            async with gate:
                for attempt in range(3):
                    try:
                        response = await client.post(path, content=body, headers=headers)
                        break
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                        resent += 1
                response.raise_for_status()

        for turn in range(TURNS):  # every caller's first message, then every caller's second...
            batch = requests[turn * conversations:(turn + 1) * conversations]
            await asyncio.gather(*(post(*request) for request in batch))
    return resent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, log_level="error") as fake, database(args.database) as url:
        env = {"DATABASE_URL": url, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "TWILIO_FROM_NUMBER": HELPLINE_NUMBER, "TWILIO_API_BASE_URL": fake.base_url}
        with server("app:app", env) as (base, pid):
            asyncio.run(drive(base, 200, args.connections, first_caller=90_000))  # warm up: caches, statements
            before = rss_mb(pid)
            started = time.perf_counter()
            resent = asyncio.run(drive(base, args.conversations, args.connections))
            seconds = time.perf_counter() - started
            after = rss_mb(pid)
    print("| conversations | turns | seconds | RSS MB before | after | growth | sent again |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {args.conversations} | {args.conversations * TURNS} | {seconds:.0f} | {before:.1f} | {after:.1f} "
          f"| {after - before:+.1f} | {resent} |")


if __name__ == "__main__":
    main()
