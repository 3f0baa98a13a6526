"""Service endpoints: health of the API and its database."""

from litestar import Request, Response, get
from litestar.config.response_cache import ResponseCacheConfig
from litestar.openapi import ResponseSpec
from litestar.types import HTTPScope
from sqlalchemy import text

from warehouse.database import Database

HEALTH_FRESH_SECONDS = 1  # one database check a second per API process answers every caller


def _health_cache_key(_: Request) -> str:
    return "health"  # one answer whatever the query string: /health?1, ?2 … share it, the cache cannot be grown


def cache_health_answers(_: HTTPScope, status_code: int) -> bool:
    """Only /health is cached: a healthy answer and an unreachable database alike (a flood of /health while
    the database is down must not become a flood of connection attempts)."""
    return status_code in (200, 503)


RESPONSE_CACHE = ResponseCacheConfig(cache_response_filter=cache_health_answers)


@get("/health", operation_id="health", tags=["Service"], summary="Health of the API and its database",
     description="200 with database ok, or 503 when the database cannot be reached. The answer may be up to "
                 f"{HEALTH_FRESH_SECONDS} s old: a load balancer's polls, or a flood, cost the database one "
                 "check a second per API process.",
     cache=HEALTH_FRESH_SECONDS, cache_key_builder=_health_cache_key,
     response_description="The API and its database answer: {status: ok, database: ok}",
     responses={503: ResponseSpec(data_container=dict[str, str], generate_examples=False,
                                  description="The database cannot be reached: {status: degraded, database: "
                                              "unreachable}")})
async def health(db: Database) -> Response[dict[str, str]]:
    try:
        async with db.async_session() as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is "unreachable", never a crash
        return Response({"status": "degraded", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"}, status_code=200)
