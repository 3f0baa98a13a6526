"""Code order endpoints (API.md: Codes)."""

import urllib.parse
import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.response import Stream

from api.domain.codes import orders, services
from api.domain.codes.labels import MAX_MODULE_PX
from api.domain.codes.orders import OrderStatus
from api.domain.codes.public_controllers import digital_link_as_sent, unencoded_digital_link, with_stray_ais
from api.domain.codes.services import CodeCard
from api.domain.participants.schemas import SignedEnvelope
from api.openapi import also_served_as
from api.problems import request_language
from api.security.context import RequestContext
from api.security.guards import guarded
from api.security.verifier_factory import Verifier


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["Codes"]

    @post("/", operation_id="submitCodeOrder", status_code=202, summary="Order marking codes (signed CODE_ORDER)",
          description="Envelope `{type: CODE_ORDER, document: base64 JSON {id: uuid, gtin, quantity}, signature: "
                      "base64 CMS detached}`, signed by the sender; the GTIN must be one of the sender's product "
                      "cards; quantity 1 to 1,000,000. 202: accepted, emitted in the background (see "
                      "`GET /orders/{id}`); 200: the same order again.",
          response_description="Accepted: the order as stored, emitted in the background",
          **guarded("participant", also=(409, 413), retry=OrderStatus))
    async def submit(self, ctx: RequestContext, verifier: Verifier, data: SignedEnvelope) -> Response[OrderStatus]:
        status, created = await orders.submit_order(ctx, verifier, data)
        return Response(status, status_code=202 if created else 200)

    @get("/{order_id:uuid}", operation_id="getCodeOrder", summary="Status and progress of an order",
         **guarded("participant", "authority", "operator", also=(404,)))
    async def status(self, ctx: RequestContext, order_id: uuid.UUID) -> OrderStatus:
        return await orders.order_status(ctx, order_id)

    @get("/{order_id:uuid}/codes", operation_id="getCodeOrderCodes", summary="All codes of an order (streamed)",
         description="The full marking codes (GS = U+001D between the AIs) as CSV or JSON lines, streamed from the "
                     "database without loading the order into memory. The order must be DONE. "
                     "`text/csv` (the default), or `application/x-ndjson` with `format=jsonl`.",
         operation_class=also_served_as("application/x-ndjson"),
         **guarded("participant", also=(404, 409), ok=ResponseSpec(
             data_container=str, media_type="text/csv", generate_examples=False,
             description="The order's codes, one a line: text/csv, or application/x-ndjson with format=jsonl")))
    async def codes(
        self, ctx: RequestContext, order_id: uuid.UUID,
        fmt: Annotated[Literal["csv", "jsonl"], Parameter(query="format", description="csv or jsonl")] = "csv",
    ) -> Stream:
        rows = await orders.stream_codes(ctx, order_id, fmt)
        media = "text/csv" if fmt == "csv" else "application/x-ndjson"
        return Stream(rows, media_type=media,
                      headers={"Content-Disposition": f'attachment; filename="codes-{order_id}.{fmt}"'})

    @get("/{order_id:uuid}/labels", operation_id="getCodeOrderLabels", summary="Printable label sheet (PDF)",
         description="GS1 DataMatrix symbols (FNC1 first, GS separators kept) with the human-readable code, "
                     "4 × 10 per A4 page, for `limit` codes from `offset` (at most 5,000 per sheet), the "
                     "order's codes taken in serial order.",
         media_type="application/pdf", **guarded("participant", also=(404, 409)))
    async def labels(
        self, ctx: RequestContext, order_id: uuid.UUID,
        offset: Annotated[int, Parameter(query="offset", ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Parameter(query="limit", ge=1, le=orders.MAX_LABELS)] = 40,
        text: Annotated[bool, Parameter(query="text", description="print the code under each symbol")] = True,
    ) -> Response[bytes]:
        pdf = await orders.label_sheet(ctx, order_id, offset, limit, text)
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="labels-{order_id}-{offset}.pdf"'})


MAX_CHILDREN_PAGE = 1000


class CodeController(Controller):
    path = "/api/v1/codes"
    tags = ["Codes"]

    @get("/{code:path}", operation_id="getCode", summary="The card of one code",
         description="Current status, owner, product, parent and children, and history. `{code}` is any accepted "
                     "spelling, URL-encoded (GS as `%1D`). The code's owner, authorities and operators. A pack's "
                     "card lists the codes it holds directly (`children_codes`, in code order): pages of "
                     "`children_limit`, the next after `children_after` = the last code of a page.",
         **guarded("participant", "authority", "operator", also=(404,)))
    async def card(
        self, ctx: RequestContext, code: str, request: Request[Any, Any, Any],
        children_limit: Annotated[int, Parameter(query="children_limit", ge=0, le=MAX_CHILDREN_PAGE,
                                                 description="children listed (0: the count only)")] = 100,
        children_after: Annotated[str | None, Parameter(query="children_after", max_length=100,
                                                        description="the last child code of the page before")]
        = None,
    ) -> CodeCard:
        return await services.code_card(ctx, code_from_raw_path(request, self.path + "/") or code.lstrip("/"),
                                        request_language(request),
                                        services.ChildrenPage(children_limit, children_after))


def code_from_raw_path(request: Request[Any, Any, Any], prefix: str) -> bytes | None:
    """The code as sent, from the undecoded path: routing merges "//" and drops a trailing "/", both of which
    a Digital Link or a serial may hold once decoded; as bytes, so a raw FNC1 (%E8) reaches the parser."""
    raw = request.scope.get("raw_path")
    start = prefix.encode()
    if not isinstance(raw, bytes) or not raw.startswith(start):
        return None
    sent = raw[len(start):].decode("latin-1")
    if unencoded_digital_link(sent):  # the link as it is (its escapes are decoded once), its tail folded back
        return with_stray_ais(sent, request.scope.get("query_string", b"").decode("latin-1")).encode("latin-1")
    return urllib.parse.unquote_to_bytes(sent) or None


class CodeLabelController(Controller):
    path = "/api/v1/labels"
    tags = ["Codes"]

    @get("/datamatrix", operation_id="getCodeLabel", summary="One code's GS1 DataMatrix (PNG or SVG)",
         description="The symbol of one of the caller's codes (FNC1 first, GS separators kept, crypto tail "
                     "included as issued), `module` pixels (PNG) or user units (SVG) per module, quiet zone "
                     "included. `code`: any accepted spelling, URL-encoded. For whole orders use "
                     "`/api/v1/orders/{id}/labels` (PDF). `image/png` (the default) or `image/svg+xml`.",
         operation_class=also_served_as("image/svg+xml"),
         **guarded("participant", also=(404,), ok=ResponseSpec(
             data_container=bytes, media_type="image/png", generate_examples=False,
             description="The symbol: image/png, or image/svg+xml with format=svg")))
    async def datamatrix(
        self, ctx: RequestContext, request: Request[Any, Any, Any],
        code: Annotated[str, Parameter(query="code", description="the marking code, any accepted spelling")],
        fmt: Annotated[Literal["png", "svg"], Parameter(query="format", description="png or svg")] = "png",
        module: Annotated[int, Parameter(query="module", ge=1, le=MAX_MODULE_PX,
                                         description="size of one module")] = 4,
    ) -> Response[bytes]:
        if "://" in code:  # a Digital Link pasted unencoded: read as the link it is (as verification reads it)
            code = digital_link_as_sent(request.scope.get("query_string", b"").decode("latin-1")) or code
        image = await services.code_label(ctx, code, fmt, module)
        return Response(image, media_type="image/svg+xml" if fmt == "svg" else "image/png",
                        headers={"Cache-Control": "no-store"})
