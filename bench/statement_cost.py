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


Work = Callable[[int], Awaitable[object]]


async def cpu_per_call(work: Work, calls: int) -> float:
    """Microseconds of this process's CPU per call of `work`: best of 3 passes
    of `calls`, after one pass to warm prepared statements and caches."""
    async def one_pass() -> float:
        started = time.process_time()
        for n in range(calls):
            await work(n)
        return (time.process_time() - started) * 1e6 / calls

    await one_pass()
    return min([await one_pass() for _ in range(3)])


def load_params(numbers: list[str], k: int, n: int) -> dict[str, list[str]]:
    """LOAD's parameters for the n-th statement of k callers each."""
    return {"keys": ["none"] * k, "numbers": [numbers[(n * k + i) % len(numbers)] for i in range(k)]}


def loading(engine: AsyncEngine, numbers: list[str], k: int) -> Work:
    """One statement of k callers, as a turn batch loads them: checkout, execute, rows, return."""
    async def load(n: int) -> None:
        async with engine.connect() as connection:
            rows = (await connection.execute(LOAD, load_params(numbers, k, n))).all()
        assert len(rows) == k

    return load


async def cpu_per_caller(engine: AsyncEngine, numbers: list[str], k: int) -> float:
    """Microseconds of this process's CPU per caller loaded, k callers a statement."""
    return await cpu_per_call(loading(engine, numbers, k), LOADS // k) / k


async def statement_parts(engine: AsyncEngine, numbers: list[str]) -> list[tuple[str, float]]:
    """One caller a statement: the whole, and its parts."""
    async def checkout(_n: int) -> None:
        async with engine.connect():
            pass

    async with engine.connect() as held:
        async def execute(n: int) -> None:
            (await held.execute(LOAD, load_params(numbers, 1, n))).all()

        driver = (await held.get_raw_connection()).driver_connection
        prepared = await driver.prepare(str(LOAD.compile(dialect=engine.dialect)))

        async def asyncpg_alone(n: int) -> None:
            await prepared.fetch(*load_params(numbers, 1, n).values())

        return [
            ("checkout, execute, rows, return", await cpu_per_call(loading(engine, numbers, 1), LOADS)),
            ("the pool's checkout and return alone", await cpu_per_call(checkout, LOADS)),
            ("SQLAlchemy's execute and rows, connection held", await cpu_per_call(execute, LOADS)),
            ("asyncpg's prepared statement alone, connection held", await cpu_per_call(asyncpg_alone, LOADS)),
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
    results = [(k, await cpu_per_caller(engine, numbers, k)) for k in (1, 4, 10, 32)]
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
