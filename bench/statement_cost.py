"""Benchmark: what one statement costs the web process, against one more row.

Why the turns waiting at one moment load (and save) together: this loads 4,000
callers with the helpline's LOAD, 1, 4, 10 and 32 to a statement, and prints
the CPU time of this process per caller. Almost all of it is per statement.

    .venv/bin/python -m bench.statement_cost
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.databases import database
from bench.wrk_requests import caller_number
from helpline.storage.turn_statements import LOAD as LOADS_BY_DIALECT
from helpline.storage.database import make_engine
from helpline.storage.models import Caller, utcnow

CALLERS = 400
LOADS = 4000
LOAD = LOADS_BY_DIALECT["postgresql"]


async def cpu_per_caller(engine: AsyncEngine, numbers: list[str], k: int) -> float:
    """Microseconds of this process's CPU per caller loaded, k callers a statement."""
    started = time.process_time()
    for first in range(0, LOADS, k):
        batch = [numbers[(first + n) % len(numbers)] for n in range(k)]
        async with engine.connect() as connection:
            rows = (await connection.execute(LOAD, {"keys": ["none"] * k, "numbers": batch})).all()
        assert len(rows) == k
    return (time.process_time() - started) * 1e6 / LOADS


async def measure(url: str) -> list[tuple[int, float]]:
    engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")  # as turns load
    numbers = [caller_number(n) for n in range(CALLERS)]
    now = utcnow()
    async with engine.begin() as connection:
        await connection.execute(insert(Caller), [
            {"number": number, "language": "en-GB", "answers": {"capacity": "parent"}, "history": ["capacity"],
             "reprompts": 0, "opted_out": False, "turns": 2, "version": 2, "created_at": now, "updated_at": now}
            for number in numbers])
    results = []
    for k in (1, 4, 10, 32):
        await cpu_per_caller(engine, numbers, k)  # warm: prepared statements, caches
        results.append((k, min([await cpu_per_caller(engine, numbers, k) for _ in range(3)])))
    await engine.dispose()
    return results


def main() -> None:
    with database("postgres") as url:
        results = asyncio.run(measure(url))
    print("| callers a statement | CPU µs per caller loaded (best of 3) |")
    print("|---|---|")
    for k, micros in results:
        print(f"| {k} | {micros:.0f} |")


if __name__ == "__main__":
    main()
