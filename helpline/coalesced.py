"""Many callers' requests served by one piece of work: the group commit that
lets one database statement answer every turn waiting at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Coalesced(Generic[Item, Result]):
    """Calls `flush` with the items of all the callers waiting at the same moment
    (it returns one result per item, in order): while one flush runs, the items
    that arrive wait for the next, so each caller waits for at most two flushes.
    A flush that fails fails each of its callers with the same error."""

    def __init__(self, flush: Callable[[list[Item]], Awaitable[list[Result]]]) -> None:
        self._flush = flush
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._running: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._running is None:
            self._running = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        try:
            # One pass of the event loop first, so that the callers whose
            # requests arrived in the same poll as the first one's join its flush
            # (about 12 turns a statement instead of 10 under bench.http_turns).
            await asyncio.sleep(0)
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results = await self._flush([item for item, _ in batch])
                except BaseException as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._running = None
            for _, future in self._waiting:  # only if cancelled
                future.cancel()
            self._waiting = []
