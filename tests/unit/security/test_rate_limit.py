"""Rate limits: the same answers from the in-process store (counted synchronously) and from an async store
(the path a shared store such as Redis takes)."""

import asyncio

import pytest

from api.faults import RateLimited
from api.security.rate_limit import RateLimits


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
