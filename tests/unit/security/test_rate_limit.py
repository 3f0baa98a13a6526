"""Rate limits: the same answers from the in-process store (counted synchronously) and from an async store
(the path a shared store such as Redis takes)."""

import asyncio
from types import SimpleNamespace
from unittest.mock import patch

import limits.storage.memory as limits_memory
import limits.strategies as limits_strategies
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter as LibraryLimiter

from api.faults import RateLimited
from api.security.rate_limit import LocalWindows, RateLimits


@pytest.mark.parametrize("uri", ["memory://", "Memory://", "async+memory://"])
def test_each_client_and_route_has_its_own_count_and_the_one_over_the_limit_is_told_when_to_retry(uri):
    limits = RateLimits(uri, {"public": 3, "login": 1})
    assert (limits.local is None) == uri.startswith("async+")

    async def run() -> None:
        for _ in range(3):
            await limits.check("public", "10.0.0.1", "/api/v1/public/verify")
        with pytest.raises(RateLimited) as refused:
            await limits.check("public", "10.0.0.1", "/api/v1/public/verify")
        headers = refused.value.headers
        assert headers["RateLimit-Limit"] == "3" and headers["RateLimit-Remaining"] == "0"
        assert 1 <= int(headers["Retry-After"]) <= 60 and headers["RateLimit-Reset"] == headers["Retry-After"]
        await limits.check("public", "10.0.0.2", "/api/v1/public/verify")  # another client
        await limits.check("public", "10.0.0.1", "/api/v1/codes/parse")  # another route
        await limits.check("login", "10.0.0.1", "/api/v1/auth/login")  # another group
        with pytest.raises(RateLimited):
            await limits.check("login", "10.0.0.1", "/api/v1/auth/login")
        await limits.check("public", None, "/x")  # no address: counted as "unknown"

    asyncio.run(run())


@pytest.mark.parametrize("uri", ["redis://localhost:6379", "memcached://localhost:11211", "mongodb://localhost"])
def test_a_store_that_would_block_the_event_loop_is_refused_at_start(uri):
    with pytest.raises(ValueError, match="neither memory:// nor an async\\+ store"):
        RateLimits(uri, {"public": 3})


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@settings(max_examples=300, deadline=None)
@given(limit=st.integers(1, 6), start=st.floats(1.7e9, 1.8e9),
       steps=st.lists(st.tuples(st.floats(0, 75), st.sampled_from(["10.0.0.1", "10.0.0.2", "unknown"]),
                                st.sampled_from(["/api/v1/public/verify", "/api/v1/codes/parse"])), max_size=60))
def test_the_in_process_counter_decides_as_the_librarys_own_memory_store(limit, start, steps):
    """The same hits at the same moments: the same answers, and the same wait for the refused ones."""
    clock = _Clock(start)
    ours = LocalWindows(clock)
    theirs = LibraryLimiter(MemoryStorage())
    item = RateLimitItemPerMinute(limit, namespace="public")
    clock_module = SimpleNamespace(time=clock)
    with patch.object(limits_memory, "time", clock_module), patch.object(limits_strategies, "time", clock_module):
        for pause, client, route in steps:
            clock.now += pause
            wait = ours.hit("public", 60, limit, (client, route))
            assert (wait is None) == theirs.hit(item, client, route)
            if wait is not None:
                # to a microsecond: both subtract times of ~1.8e9 s, whose float rounding alone is ~1e-7 s
                assert wait == pytest.approx(theirs.get_window_stats(item, client, route).reset_time - clock.now,
                                             abs=1e-6)


def test_the_in_process_counter_forgets_the_clients_of_old_windows_as_new_ones_come():
    clock = _Clock(1_800_000_000.0)  # a window's start
    windows = LocalWindows(clock)
    for n in range(10_000):
        assert windows.hit("public", 60, 5, (f"10.0.{n // 256}.{n % 256}", "/x")) is None
    clock.now += 120  # two windows later: none of them counts any more
    for n in range(5_000):
        windows.hit("public", 60, 5, (f"10.1.{n // 256}.{n % 256}", "/x"))
    assert len(windows.groups["public"]) == 5_000
    clock.now += 60  # one window later the previous window's clients still count
    windows.hit("public", 60, 5, ("10.2.0.1", "/x"))
    assert len(windows.groups["public"]) == 5_001
