"""Benchmark: reminder dispatch. Many due reminders in PostgreSQL (or SQLite),
sent by 1 and then 4 `helpline worker --drain` processes through the real twilio
client to the fake Twilio API: messages a second, duplicates, lost.

    .venv/bin/python -m bench.dispatch --reminders 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.databases import analyze, database
from bench.wrk_requests import ACCOUNT_SID, AUTH_TOKEN, HELPLINE_NUMBER, caller_number
from helpline.storage.database import make_engine
from helpline.storage.models import Caller, OutboxMessage, outbox_values, utcnow
from tests.fake_twilio import FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
CALLERS = 1000
BATCH = 5000


async def fill(url: str, reminders: int) -> None:
    """`reminders` reminders, all due now, spread over CALLERS callers."""
    engine = make_engine(url)
    now = utcnow() - timedelta(minutes=1)
    async with engine.begin() as connection:
        numbers = [caller_number(n) for n in range(CALLERS)]
        ids = (await connection.execute(
            insert(Caller).returning(Caller.id),
            [{"number": number, "language": "en-GB", "answers": {}, "history": [], "reprompts": 0, "turns": 0,
              "opted_out": False, "version": 0, "created_at": now, "updated_at": now} for number in numbers],
        )).scalars().all()
        for start in range(0, reminders, BATCH):
            rows = [
                outbox_values(ids[n % CALLERS], numbers[n % CALLERS], f"Reminder {n}", now, kind="reply")
                for n in range(start, min(start + BATCH, reminders))
            ]
            await connection.execute(insert(OutboxMessage), rows)
    await engine.dispose()


async def statuses(url: str) -> Counter:
    engine = make_engine(url)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all()
    await engine.dispose()
    return Counter(dict(rows))


def drain(url: str, fake: FakeTwilio, workers: int, batch: int) -> float:
    env = {**os.environ, "DATABASE_URL": url, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "TWILIO_FROM_NUMBER": HELPLINE_NUMBER, "TWILIO_API_BASE_URL": fake.base_url}
    started = time.perf_counter()
    processes = [
        subprocess.Popen([sys.executable, "-m", "helpline.cli", "worker", "--drain", "--batch", str(batch)],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    for process in processes:
        process.wait()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    print(f"| workers | reminders | seconds | sent/s | duplicates | lost |  ({args.database})")
    print("|---|---|---|---|---|---|")
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, log_level="error") as fake:
        for workers in args.workers:
            fake.reset()
            with database(args.database) as url:
                asyncio.run(fill(url, args.reminders))
                analyze(url)  # as autovacuum would after 100,000 new rows
                seconds = drain(url, fake, workers, args.batch)
                bodies = Counter(message["body"] for message in fake.messages)
                duplicates = sum(count - 1 for count in bodies.values())
                lost = args.reminders - len(bodies)
                sent = asyncio.run(statuses(url))["sent"]
                assert sent == len(bodies), (sent, len(bodies))
            print(f"| {workers} | {args.reminders} | {seconds:.1f} | {len(bodies) / seconds:.0f} "
                  f"| {duplicates} | {lost} |")


if __name__ == "__main__":
    main()
