"""Audit trail search (operators and authorities)."""

import datetime as dt
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from api.domain.audit import services
from api.domain.audit.schemas import AuditPage
from api.faults import BIN_PATTERN
from api.security.context import RequestContext
from api.security.guards import guarded


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["Audit"]

    @get("/", operation_id="searchAudit", summary="Search the audit trail",
         description="Newest first. Every request that reached the API is here: time (UTC), participant BIN, "
                     "person IIN, role, client IP, method, route, action, object and result status.",
         **guarded("operator", "authority"))
    async def search(
        self,
        ctx: RequestContext,
        actor_bin: Annotated[str | None, Parameter(query="actor_bin", description="BIN/IIN of the actor",
                                                   pattern=BIN_PATTERN)] = None,
        action: Annotated[str | None, Parameter(query="action", description="Action prefix, e.g. auth.")] = None,
        status: Annotated[int | None, Parameter(query="status", description="HTTP status", ge=100, le=599)] = None,
        since: Annotated[dt.datetime | None, Parameter(query="since", description="From this time")] = None,
        before: Annotated[dt.datetime | None, Parameter(query="before", description="Before this time")] = None,
        limit: Annotated[int, Parameter(query="limit", ge=1, le=1000)] = 100,
        cursor: Annotated[str | None, Parameter(query="cursor", description="next_cursor of the page before",
                                                max_length=100)] = None,
    ) -> AuditPage:
        return await services.search(ctx, actor_bin, action, status, since, before, limit, cursor)
