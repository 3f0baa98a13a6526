"""Micro-batching of concurrent requests into one database statement, per event loop.

The requests that reach ``submit`` while the loop is busy (in the same tick, or while earlier batches
are in flight) are sent together when the tick ends: one round trip and one commit for many answers.
Each request waits on its own future; a failed or stuck batch fails every waiter of that batch, and
no waiter of another batch.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    """``run(items)`` must return one result per item, in order."""

    def __init__(self, run: Callable[[list[Item]], Awaitable[Sequence[Result]]], max_batch: int = 256,
                 max_in_flight: int = 4, timeout: float = 10.0) -> None:
        self.run = run
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self.in_flight = 0
        self.scheduled = False
        self.batches = 0  # statements sent, for observability and tests
        self.items = 0
        self.loop: asyncio.AbstractEventLoop | None = None  # the loop this batcher serves (one per process)

    async def submit(self, item: Item) -> Result:
        loop = self.loop
        if loop is None or not loop.is_running():  # asyncio.get_running_loop() costs a getpid() call (3.11)
            loop = self.loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self.pending.append((item, future))
        if not self.scheduled:
            self.scheduled = True
            loop.call_soon(self._flush)  # at the end of this tick: whatever else arrives meanwhile joins
        return await future

    def _flush(self) -> None:
        self.scheduled = False
        while self.pending and self.in_flight < self.max_in_flight:
            batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch:]
            batch = [(item, future) for item, future in batch if not future.cancelled()]
            if batch:
                self.in_flight += 1
                asyncio.get_running_loop().create_task(self._send(batch))

    async def _send(self, batch: list[tuple[Item, "asyncio.Future[Result]"]]) -> None:
        try:
            results = await asyncio.wait_for(self.run([item for item, _ in batch]), self.timeout)
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} got {len(results)} results")
        except BaseException as exc:  # every waiter of this batch learns of it, none hangs
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("batch cancelled"))
            if not isinstance(exc, Exception):
                raise
        else:
            self.batches += 1
            self.items += len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
        finally:
            self.in_flight -= 1
            if self.pending and not self.scheduled:
                self._flush()
