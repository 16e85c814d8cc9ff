"""Benchmark: resident memory of one web process before and after 50,000
conversations, each from a new caller: by SMS, the whole script (to the
summary, with its reminders queued, then a changed answer and `repeat`); by
voice, a whole call on the keypad, ending in the summary and reminders texted
through the `twilio` client from the web process.

    .venv/bin/python -m bench.memory --conversations 50000
    .venv/bin/python -m bench.memory --conversations 50000 --channel voice --database postgres
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from bench.databases import database
from bench.http_turns import rss_mb, server
from bench.wrk_requests import (
    ACCOUNT_SID, AUTH_TOKEN, HELPLINE_NUMBER, KEYS_SCRIPT, SMS_SCRIPT, sms_requests, voice_requests,
)
from tests.fake_twilio import FakeTwilio

# Each channel's requests, and the turns of one conversation: the whole script.
CHANNELS = {"sms": (sms_requests, len(SMS_SCRIPT)), "voice": (voice_requests, len(KEYS_SCRIPT))}
# Conversations under way at once: each group's callers take their turns in
# rounds, so texts are queued and sent all through the run, not at its end.
GROUP = 1000


async def drive(base: str, channel: str, conversations: int, connections: int, first_caller: int = 0) -> int:
    """Send every conversation's turns; returns how many requests were sent again.

    A request that fails in transport (the server closing a kept-alive
    connection as it was reused) is sent again: each has its own MessageSid
    (or CallSid and turn), and the helpline answers a repeated one from its
    receipt without a second turn.
    """
    make, turns = CHANNELS[channel]
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

        for start in range(0, conversations, GROUP):
            size = min(GROUP, conversations - start)
            requests = make(size * turns, size, base, first_caller + start)
            for turn in range(turns):  # every caller's first message, then every caller's second...
                await asyncio.gather(*(post(*request) for request in requests[turn * size:(turn + 1) * size]))
    return resent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--channel", choices=list(CHANNELS), default="sms")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, log_level="error") as fake, database(args.database) as url:
        env = {"DATABASE_URL": url, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
               "TWILIO_FROM_NUMBER": HELPLINE_NUMBER, "TWILIO_API_BASE_URL": fake.base_url,
               "HELPLINE_COUNCILS": "E08000003,E10000016"}  # as in bench.http_turns: two on the keypad
        with server("app:app", env) as (base, pid):
            # Warm up: caches, statements, and by voice the first text's imports.
            asyncio.run(drive(base, args.channel, 200, args.connections, first_caller=90_000))
            before = rss_mb(pid)
            started = time.perf_counter()
            resent = asyncio.run(drive(base, args.channel, args.conversations, args.connections))
            seconds = time.perf_counter() - started
            after = rss_mb(pid)
    turns = CHANNELS[args.channel][1]
    print(f"| conversations | turns | seconds | RSS MB before | after | growth | sent again |  "
          f"({args.channel}, {args.database})")
    print("|---|---|---|---|---|---|---|")
    print(f"| {args.conversations} | {args.conversations * turns} | {seconds:.0f} | {before:.1f} | {after:.1f} "
          f"| {after - before:+.1f} | {resent} |")


if __name__ == "__main__":
    main()
