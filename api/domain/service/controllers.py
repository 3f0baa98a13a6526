"""Service endpoints: health of the API and its database."""

from litestar import Response, get
from sqlalchemy import text

from warehouse.database import Database


@get("/health", operation_id="health", tags=["Service"], summary="Health of the API and its database",
     description="200 with database ok, or 503 when the database cannot be reached.")
async def health(db: Database) -> Response[dict[str, str]]:
    try:
        async with db.async_session() as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is "unreachable", never a crash
        return Response({"status": "degraded", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"}, status_code=200)
