"""The baselines of the benchmarks: minimal Litestar handlers reading one row through a psycopg pool, as the
table owner, with no token, no row-level security context, no audit row.

- ``/verify?gtin=&serial=`` (the verification benchmark's baseline): one primary-key lookup, one round trip
  (an autocommit pool).
- ``/verify-in-transaction?gtin=&serial=``: the same lookup in psycopg's default transaction, which the pool
  idiom ``async with pool.connection()`` opens and commits: three round trips (BEGIN, the lookup, COMMIT).
  The verification benchmark measured against this one until session 8; it is kept to compare with those
  records.
- ``/participants/{bin}`` (the identity benchmark's baseline, as recorded for it): one participant card, in
  the default transaction (BEGIN, the query, COMMIT).

Served by granian: ``granian --interface asgi tanba.bench.baseline:application`` with TANBA_BENCH_URL set.
"""

import os
from typing import Any

from litestar import Litestar, get
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

POOL: dict[str, AsyncConnectionPool] = {}
LOOKUP = "SELECT gtin, serial, key_id, crypto_tail, status FROM ops.marking_code WHERE gtin = %s AND serial = %s"


async def open_pool(app: Litestar) -> None:
    for name, autocommit in (("transaction", False), ("autocommit", True)):
        POOL[name] = AsyncConnectionPool(os.environ["TANBA_BENCH_URL"], min_size=4, max_size=10, open=False,
                                         kwargs={"row_factory": dict_row, "autocommit": autocommit})
        await POOL[name].open()


async def close_pool(app: Litestar) -> None:
    for pool in POOL.values():
        await pool.close()


@get("/participants/{bin:str}", sync_to_thread=False)
async def participant(bin: str) -> dict[str, Any]:
    async with POOL["transaction"].connection() as conn:
        row = await (await conn.execute(
            "SELECT bin, is_individual, name_kk, name_ru, types, state, kato, registered_at FROM ops.participant "
            "WHERE bin = %s", (bin,))).fetchone()
    return dict(row) if row else {}


@get("/verify", sync_to_thread=False)
async def verify(gtin: str, serial: str) -> dict[str, Any]:
    """The minimal handler of the verification benchmark: one primary-key lookup, one round trip."""
    async with POOL["autocommit"].connection() as conn:
        row = await (await conn.execute(LOOKUP, (gtin, serial))).fetchone()
    return {"found": row is not None, "row": row}


@get("/verify-in-transaction", sync_to_thread=False)
async def verify_in_transaction(gtin: str, serial: str) -> dict[str, Any]:
    """The same lookup in the pool's default transaction: BEGIN, the lookup, COMMIT."""
    async with POOL["transaction"].connection() as conn:
        row = await (await conn.execute(LOOKUP, (gtin, serial))).fetchone()
    return {"found": row is not None, "row": row}


application = Litestar([participant, verify, verify_in_transaction], on_startup=[open_pool],
                       on_shutdown=[close_pool])
