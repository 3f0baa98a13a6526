"""/health answers from at most one database check a second per API process, however often it is asked:
a load balancer's polls, or a flood of them, cost the database nothing more."""

import asyncio

from litestar.testing import AsyncTestClient
from sqlalchemy import event

from api.app import create_app
from api.domain.service.controllers import HEALTH_FRESH_SECONDS


def test_a_flood_of_health_checks_costs_the_database_one_check_a_second(settings):
    async def run() -> None:
        gateway = create_app(settings)
        async with AsyncTestClient(app=gateway) as client:
            checks: list[str] = []
            event.listen(gateway.get_db().async_engine.sync_engine, "before_cursor_execute",
                         lambda _conn, _cursor, statement, *_: checks.append(statement))
            first = await client.get("/health")
            assert first.status_code == 200 and first.json() == {"status": "ok", "database": "ok"}
            assert checks == ["SELECT 1"]
            # 300 more callers within the second, some with query strings of their own: no other check
            answers = await asyncio.gather(*(client.get("/health", params={"n": str(n)} if n % 2 else None)
                                             for n in range(300)))
            assert {(a.status_code, a.text) for a in answers} == {(200, first.text)}
            assert len({a.headers["x-request-id"] for a in answers}) == 300  # each answer is still its own
            assert checks == ["SELECT 1"]
            await asyncio.sleep(HEALTH_FRESH_SECONDS + 0.2)
            assert (await client.get("/health")).status_code == 200
            assert checks == ["SELECT 1", "SELECT 1"]  # a second later, the database is asked again

    asyncio.run(run())
