"""Rate limits per client address and route: the ``limits`` library's sliding-window counter.

The store is named by a URI (``TANBA_RATE_LIMIT_STORAGE``). A shared store such as ``async+redis://host:6379``
makes the limit hold across every process and machine of a scaled-out API; it goes through the library's
async limiter. ``memory://`` counts in each API process, in ``LocalWindows``: the same counter, the same
decisions and reset times (a test replays random traffic against the library's own ``memory://``), without
the library's in-process store, which sweeps all its keys every 10 ms from a newly started thread.

When the shared store cannot be reached or does not answer within ``SHARED_TIMEOUT``, each process counts
in its own ``LocalWindows`` for ``SHARED_RETRY_AFTER`` seconds before it asks the store again (the limit then
holds per process, as with ``memory://``) and logs the outage once a minute: a rate limiter that is down or
hung does not take public verification down with it, nor make each request wait for it.
"""

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from limits import RateLimitItemPerMinute
from limits.aio.strategies import SlidingWindowCounterRateLimiter as SharedLimiter
from limits.storage import storage_from_string
from litestar.types import ASGIApp, Receive, Scope, Send

from api.faults import RateLimited

log = logging.getLogger("tanba.security")
SHARED_TIMEOUT = 0.5  # seconds for the shared store to count a request before this process counts it itself
SHARED_RETRY_AFTER = 5.0  # seconds of counting in the process after the shared store failed
OUTAGE_LOG_INTERVAL = 60.0


class LocalWindows:
    """Sliding-window counters of one process, as the ``limits`` library counts them (``SlidingWindowCounter``):
    the previous window's hits, weighted by the share of it still inside the sliding window, plus the current
    window's. A request is allowed while that count, rounded down, stays below the limit.

    Why not the library's ``memory://`` store: it starts a thread every 10 ms while requests come, and the
    thread walks every key. The threads take the interpreter from the event loop (measured: the public
    verification made ~10 % more requests a second without them), and each walk grows with the number of
    client addresses. Here a key's entry moves to the end of its group's ordered dict when its window
    changes, so the oldest windows are always first, and each count drops up to two entries that no window
    needs any more: the memory holds the clients of the last two windows, and nothing runs in between.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.groups: dict[str, OrderedDict[tuple[str, str], list[int]]] = {}  # [window, previous, current]

    def hit(self, group: str, period: int, limit: int, key: tuple[str, str]) -> float | None:
        """Count one request, or refuse it: None when allowed, else the seconds until it would be."""
        now = self.clock()
        window = int(now / period)
        entries = self.groups.setdefault(group, OrderedDict())
        entry = entries.get(key)
        if entry is None or entry[0] != window:
            previous = entry[2] if entry is not None and entry[0] == window - 1 else 0
            entry = entries[key] = [window, previous, 0]
            entries.move_to_end(key)
            for _ in range(2):  # windows before the previous one count for no one
                oldest = next(iter(entries.values()))
                if oldest[0] >= window - 1:
                    break
                entries.popitem(last=False)
        previous_left = (1 - ((now - period) / period) % 1) * period if entry[1] else 0.0
        if math.floor(entry[1] * previous_left / period + entry[2]) + 1 <= limit:
            entry[2] += 1
            return None
        # when the limit lets the next request in (the library's WindowStats.reset_time)
        previous_reset = previous_left % (period / entry[1]) if entry[1] else math.inf
        current_reset = ((1 - (now / period) % 1) * period + period) % period if entry[2] else math.inf
        return min(previous_reset, current_reset) if entry[1] or entry[2] else 0.0


class RateLimits:
    """One limiter for the app; each group of routes (login, public) has its own per-minute limit."""

    def __init__(self, storage_uri: str, per_minute: dict[str, int]) -> None:
        scheme = storage_uri.partition("://")[0].lower()
        if scheme != "memory" and not scheme.startswith("async+"):  # a network store would block the event loop
            raise ValueError(f"TANBA_RATE_LIMIT_STORAGE: {storage_uri!r} is neither memory:// nor an async+ store "
                             "(e.g. async+redis://host:6379)")
        self.local = LocalWindows() if scheme == "memory" else None
        self.shared = SharedLimiter(storage_from_string(storage_uri)) if self.local is None else None
        self.fallback = LocalWindows() if self.shared is not None else None  # while the shared store is down
        self.outage_logged_at = -math.inf
        self.shared_down_until = -math.inf
        self.items = {group: RateLimitItemPerMinute(limit, namespace=group) for group, limit in per_minute.items()}

    async def check(self, group: str, client: str | None, route: str) -> None:
        """Count one request of ``client`` on ``route``; over the limit: RateLimited (429, Retry-After)."""
        item, who = self.items[group], client or "unknown"
        if self.local is not None:
            reset_in = self.local.hit(group, item.get_expiry(), item.amount, (who, route))
            if reset_in is None:
                return
        else:
            shared_reset_in = await self._check_shared(item, who, route)
            if shared_reset_in is None:
                return
            reset_in = shared_reset_in
        wait = str(max(1, math.ceil(reset_in)))
        raise RateLimited(title_params={"seconds": wait}, headers={
            "Retry-After": wait, "RateLimit-Limit": str(item.amount), "RateLimit-Remaining": "0",
            "RateLimit-Reset": wait,
        })

    async def _check_shared(self, item: RateLimitItemPerMinute, who: str, route: str) -> float | None:
        """The shared store's decision: None to let the request in, else seconds until the limit lets it in.
        Unreachable or slow, the store is replaced by this process's own count until it answers again."""
        assert self.shared is not None and self.fallback is not None
        if time.monotonic() < self.shared_down_until:
            return self.fallback.hit(str(item.namespace), item.get_expiry(), item.amount, (who, route))
        try:
            async with asyncio.timeout(SHARED_TIMEOUT):
                if await self.shared.hit(item, who, route):
                    return None
                return (await self.shared.get_window_stats(item, who, route)).reset_time - time.time()
        except Exception as exc:  # the store's own errors differ by store (coredis, valkey …), and timeouts
            now = time.monotonic()
            self.shared_down_until = now + SHARED_RETRY_AFTER
            if now - self.outage_logged_at >= OUTAGE_LOG_INTERVAL:
                self.outage_logged_at = now
                log.warning("rate-limit store unavailable (%s: %s): counting in this process meanwhile",
                            exc.__class__.__name__, exc)
            return self.fallback.hit(str(item.namespace), item.get_expiry(), item.amount, (who, route))

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
