"""The baseline of the identity benchmark: the same participant read with no token, no row-level
security context and no audit row, through a psycopg pool as the table owner.

Served by granian: ``granian --interface asgi tanba.bench.baseline:application`` with TANBA_BENCH_URL set.
"""

import os
from typing import Any

from litestar import Litestar, get
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

POOL: dict[str, AsyncConnectionPool] = {}


async def open_pool(app: Litestar) -> None:
    POOL["pool"] = AsyncConnectionPool(os.environ["TANBA_BENCH_URL"], min_size=4, max_size=10, open=False,
                                       kwargs={"row_factory": dict_row})
    await POOL["pool"].open()


async def close_pool(app: Litestar) -> None:
    await POOL["pool"].close()


@get("/participants/{bin:str}", sync_to_thread=False)
async def participant(bin: str) -> dict[str, Any]:
    async with POOL["pool"].connection() as conn:
        row = await (await conn.execute(
            "SELECT bin, is_individual, name_kk, name_ru, types, state, kato, registered_at FROM ops.participant "
            "WHERE bin = %s", (bin,))).fetchone()
    return dict(row) if row else {}


application = Litestar([participant], on_startup=[open_pool], on_shutdown=[close_pool])


@get("/verify", sync_to_thread=False)
async def verify(gtin: str, serial: str) -> dict[str, Any]:
    """The minimal handler of the verification benchmark: one primary-key lookup through a psycopg pool."""
    async with POOL["pool"].connection() as conn:
        row = await (await conn.execute(
            "SELECT gtin, serial, key_id, crypto_tail, status FROM ops.marking_code WHERE gtin = %s AND serial = %s",
            (gtin, serial))).fetchone()
    return {"found": row is not None, "row": row}


application.register(verify)
