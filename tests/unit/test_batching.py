"""The per-event-loop micro-batcher behind public verification (warehouse.batching)."""

import asyncio

import pytest

from warehouse.batching import Batcher


def test_requests_of_one_tick_go_as_one_batch_and_get_their_own_results():
    sent: list[list[int]] = []

    async def run(items: list[int]) -> list[int]:
        sent.append(items)
        await asyncio.sleep(0.01)
        return [i * 10 for i in items]

    async def main() -> list[int]:
        batcher = Batcher(run, max_in_flight=1)
        return list(await asyncio.gather(*(batcher.submit(i) for i in range(50))))

    assert asyncio.run(main()) == [i * 10 for i in range(50)]
    assert sent == [list(range(50))]


def test_arrivals_while_a_batch_is_in_flight_wait_and_go_together():
    sent: list[list[int]] = []
    in_flight = {"now": 0, "most": 0}

    async def run(items: list[int]) -> list[int]:
        in_flight["now"] += 1
        in_flight["most"] = max(in_flight["most"], in_flight["now"])
        sent.append(items)
        await asyncio.sleep(0.02)
        in_flight["now"] -= 1
        return items

    async def main() -> None:
        batcher = Batcher(run, max_batch=8, max_in_flight=2)
        first = [asyncio.ensure_future(batcher.submit(i)) for i in range(20)]
        await asyncio.sleep(0.005)
        later = [asyncio.ensure_future(batcher.submit(i)) for i in range(20, 30)]
        assert await asyncio.gather(*first, *later) == list(range(30))

    asyncio.run(main())
    assert in_flight["most"] == 2
    assert all(len(batch) <= 8 for batch in sent)
    assert sorted(i for batch in sent for i in batch) == list(range(30))


def test_a_failed_batch_fails_its_waiters_only():
    async def run(items: list[int]) -> list[int]:
        if 13 in items:
            raise ConnectionError("database gone")
        return items

    async def main() -> None:
        batcher = Batcher(run)
        doomed = await asyncio.gather(*(batcher.submit(i) for i in (11, 12, 13)), return_exceptions=True)
        assert all(isinstance(r, ConnectionError) for r in doomed)
        assert await asyncio.gather(*(batcher.submit(i) for i in (1, 2))) == [1, 2]

    asyncio.run(main())


def test_a_stuck_batch_times_out_and_a_short_answer_is_an_error():
    async def stuck(items: list[int]) -> list[int]:
        await asyncio.sleep(10)
        return items

    async def short(items: list[int]) -> list[int]:
        return items[:-1]

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await Batcher(stuck, timeout=0.05).submit(1)
        batcher = Batcher(short)
        results = await asyncio.gather(batcher.submit(1), batcher.submit(2), return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)

    asyncio.run(main())
