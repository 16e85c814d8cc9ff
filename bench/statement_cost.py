"""Benchmark: what one statement costs the web process, against one more row.

Why the turns waiting at one moment load (and save) together: this loads 4,000
callers with the helpline's LOAD, 1, 4, 10 and 32 to a statement, and prints
the CPU time of this process per caller. Almost all of it is per statement.
Then, for one caller a statement, where that goes: the pool's checkout and
return, SQLAlchemy's execution on a connection already held, and asyncpg's
own prepared statement on that connection (what going round SQLAlchemy would
leave).

    .venv/bin/python -m bench.statement_cost
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

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


async def cpu_per_call(work: Callable[[int], Awaitable[object]]) -> float:
    """Microseconds of this process's CPU per call of `work` (best of 3, warmed)."""
    for n in range(300):
        await work(n)
    best = []
    for _ in range(3):
        started = time.process_time()
        for n in range(LOADS):
            await work(n)
        best.append((time.process_time() - started) * 1e6 / LOADS)
    return min(best)


async def statement_parts(engine: AsyncEngine, numbers: list[str]) -> list[tuple[str, float]]:
    """One caller a statement: the whole, and its parts."""
    def params(n: int) -> dict[str, list[str]]:
        return {"keys": ["none"], "numbers": [numbers[n % len(numbers)]]}

    async def whole(n: int) -> None:
        async with engine.connect() as connection:
            (await connection.execute(LOAD, params(n))).all()

    async def checkout(_n: int) -> None:
        async with engine.connect():
            pass

    async with engine.connect() as held:
        async def execute(n: int) -> None:
            (await held.execute(LOAD, params(n))).all()

        driver = (await held.get_raw_connection()).driver_connection
        prepared = await driver.prepare(str(LOAD.compile(dialect=engine.dialect)))

        async def asyncpg_alone(n: int) -> None:
            await prepared.fetch(*params(n).values())

        return [
            ("checkout, execute, rows, return", await cpu_per_call(whole)),
            ("the pool's checkout and return alone", await cpu_per_call(checkout)),
            ("SQLAlchemy's execute and rows, connection held", await cpu_per_call(execute)),
            ("asyncpg's prepared statement alone, connection held", await cpu_per_call(asyncpg_alone)),
        ]


async def measure(url: str) -> tuple[list[tuple[int, float]], list[tuple[str, float]]]:
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
    parts = await statement_parts(engine, numbers)
    await engine.dispose()
    return results, parts


def main() -> None:
    with database("postgres") as url:
        results, parts = asyncio.run(measure(url))
    print("| callers a statement | CPU µs per caller loaded (best of 3) |")
    print("|---|---|")
    for k, micros in results:
        print(f"| {k} | {micros:.0f} |")
    print()
    print("| one caller a statement | CPU µs a statement (best of 3) |")
    print("|---|---|")
    for part, micros in parts:
        print(f"| {part} | {micros:.0f} |")


if __name__ == "__main__":
    main()
