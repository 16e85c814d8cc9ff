"""Soak: several web processes on one PostgreSQL, every webhook delivered to
each of them at about the same moment (as if Twilio retried it on every
process behind the load balancer), round after round, each round new callers
(wrk's Lua holds some 60,000 requests). Afterwards each webhook must have been
applied once: as many receipts as the callers count turns; and no error
answered.

    .venv/bin/python -m bench.soak --processes 3 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import func, select

from bench.databases import database
from bench.http_turns import server
from bench.wrk_requests import (
    ACCOUNT_SID, AUTH_TOKEN, HELPLINE_NUMBER, PUBLIC, SMS_SCRIPT, callers_taken, sms_requests, write_lua,
)
from helpline.storage.database import make_engine
from helpline.storage.models import Caller, WebhookReceipt
from tests.fake_twilio import FakeTwilio


async def counts(url: str) -> tuple[int, int, int]:
    """Callers, the turns they record, and the receipts of webhooks applied."""
    engine = make_engine(url)
    async with engine.connect() as connection:
        callers, turns = (await connection.execute(select(func.count(), func.sum(Caller.turns)))).one()
        receipts = (await connection.execute(select(func.count()).select_from(WebhookReceipt))).scalar_one()
    await engine.dispose()
    return callers, int(turns or 0), receipts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=60, help="a round")
    parser.add_argument("--connections", type=int, default=8, help="per process")
    parser.add_argument("--callers", type=int, default=400, help="a round")
    parser.add_argument("--requests", type=int, default=60_000, help="a round, each sent to every process in order")
    args = parser.parse_args()

    outputs, furthest = [], 0
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake, tempfile.TemporaryDirectory() as folder, \
            database("postgres") as url, contextlib.ExitStack() as servers:
        env = {"DATABASE_URL": url, "PUBLIC_BASE_URL": PUBLIC, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
               "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": HELPLINE_NUMBER,
               "TWILIO_API_BASE_URL": fake.base_url, "HELPLINE_DATABASE_POOL": str(args.connections)}
        bases = [servers.enter_context(server("app:app", env))[0] for _ in range(args.processes)]
        for round_ in range(args.rounds):
            lua = Path(folder) / f"sms{round_}.lua"
            first_caller = round_ * callers_taken(args.requests, args.callers, len(SMS_SCRIPT))
            write_lua(sms_requests(args.requests, args.callers, PUBLIC, first_caller=first_caller), 1, lua)
            runs = [
                subprocess.Popen(["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "-s", str(lua), base],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for base in bases
            ]
            answered = [run.communicate()[0] for run in runs]
            outputs += answered
            # The webhooks every process was sent, in the same order: the furthest
            # process answered this many (past the last, wrk starts the list
            # again: retries); up to its connections more were in flight.
            furthest += min(max(_answered(output) for output in answered), args.requests)
        callers, turns, receipts = asyncio.run(counts(url))
    errors = [line.strip() for out in outputs for line in out.splitlines() if "Non-2xx" in line or "lua" in line]
    print(f"processes {args.processes}, rounds {args.rounds} of {args.seconds} s, "
          f"requests answered {sum(map(_answered, outputs))} ({furthest} different webhooks); "
          f"callers {callers}, turns {turns}, receipts {receipts}; errors: {errors or 'none'}")
    assert turns == receipts, "a webhook was applied twice, or a turn saved without its receipt"
    assert furthest <= turns <= furthest + args.rounds * args.connections, "a webhook answered was not applied"
    assert not errors, errors


def _answered(wrk_output: str) -> int:
    return int(re.search(r"(\d+) requests in", wrk_output).group(1))


if __name__ == "__main__":
    main()
