"""Rate limits per client address and route, with the ``limits`` library.

The sliding-window counter costs O(1) per request whatever the limit. The store is named by a URI
(``TANBA_RATE_LIMIT_STORAGE``): ``memory://`` counts in each API process; a shared store such as
``async+redis://host:6379`` makes the limit hold across every process and machine of a scaled-out API.
``memory://`` is counted with the library's synchronous limiter (it does no I/O: the async limiter would add
a coroutine chain and an asyncio lock to every request, ~2 µs of the public's hot route); every ``async+``
store goes through the async limiter.
"""

import math
import time
from typing import Any

from limits import RateLimitItemPerMinute
from limits.aio.strategies import SlidingWindowCounterRateLimiter as SharedLimiter
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter as LocalLimiter
from litestar.types import ASGIApp, Receive, Scope, Send

from api.faults import RateLimited


class RateLimits:
    """One limiter for the app; each group of routes (login, public) has its own per-minute limit."""

    def __init__(self, storage_uri: str, per_minute: dict[str, int]) -> None:
        scheme = storage_uri.partition("://")[0].lower()
        if scheme != "memory" and not scheme.startswith("async+"):  # a network store would block the event loop
            raise ValueError(f"TANBA_RATE_LIMIT_STORAGE: {storage_uri!r} is neither memory:// nor an async+ store "
                             "(e.g. async+redis://host:6379)")
        storage = storage_from_string(storage_uri)
        self.local = LocalLimiter(storage) if scheme == "memory" else None
        self.shared = SharedLimiter(storage) if self.local is None else None
        self.items = {group: RateLimitItemPerMinute(limit, namespace=group) for group, limit in per_minute.items()}

    async def check(self, group: str, client: str | None, route: str) -> None:
        """Count one request of ``client`` on ``route``; over the limit: RateLimited (429, Retry-After)."""
        item, who = self.items[group], client or "unknown"
        if self.local is not None:
            if self.local.hit(item, who, route):
                return
            stats = self.local.get_window_stats(item, who, route)
        else:
            assert self.shared is not None
            if await self.shared.hit(item, who, route):
                return
            stats = await self.shared.get_window_stats(item, who, route)
        wait = str(max(1, math.ceil(stats.reset_time - time.time())))
        raise RateLimited(title_params={"seconds": wait}, headers={
            "Retry-After": wait, "RateLimit-Limit": str(item.amount), "RateLimit-Remaining": "0",
            "RateLimit-Reset": wait,
        })

    def middleware(self, group: str) -> Any:
        """The same check as Litestar middleware for a router's routes (client address from the gateway)."""

        def wrap(app: ASGIApp) -> ASGIApp:
            async def limited(scope: Scope, receive: Receive, send: Send) -> None:
                if scope["type"] == "http":
                    ctx = scope.get("state", {}).get("ctx")
                    await self.check(group, getattr(ctx, "client_ip", None),
                                     str(scope.get("path_template") or scope.get("path")))
                await app(scope, receive, send)

            return limited

        return wrap
