"""Document endpoints (API.md: Documents)."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post

from api.domain.documents import services
from api.domain.documents.reading import DOCUMENT_TYPES, MAX_CODES
from api.domain.documents.services import DocumentStatus
from api.domain.participants.schemas import SignedEnvelope
from api.problems import request_language
from api.security.context import RequestContext
from api.security.guards import guarded
from api.security.verifier_factory import Verifier


class DocumentController(Controller):
    path = "/api/v1/documents"
    tags = ["Documents"]

    @post("/", operation_id="submitDocument", status_code=202, summary="Submit a signed document",
          description=f"Envelope `{{type, document: base64 JSON, signature: base64 CMS detached}}`, signed by the "
                      f"sender. Types accepted: {', '.join(DOCUMENT_TYPES)}; at most {MAX_CODES:,} codes each. "
                      "Each document names its type inside the signed bytes (`type`, equal to the envelope's). "
                      "APPLICATION `{id, codes: [...]}` (EMITTED → APPLIED); AGGREGATION `{id, parent: SSCC or "
                      "group pack code, children: [codes]}`; DISAGGREGATION `{id, parent, children?: [...]}` (whole "
                      "when no children are named); REAGGREGATION `{id, parent, remove?: [...], add?: [...]}`. "
                      "Format-logical control and the signature are checked at once (422/403); 202: stored as "
                      "RECEIVED and processed all-or-nothing in the background (see `GET /documents/{id}`); 200: the "
                      "same id and bytes again, with the stored result.",
          response_description="Accepted: stored as RECEIVED, processed in the background",
          **guarded("participant", also=(409, 413), retry=DocumentStatus))
    async def submit(self, ctx: RequestContext, verifier: Verifier, data: SignedEnvelope,
                     request: Request[Any, Any, Any]) -> Response[DocumentStatus]:
        status, created = await services.submit_document(ctx, verifier, data, request_language(request))
        return Response(status, status_code=202 if created else 200)

    @get("/{document_id:uuid}", operation_id="getDocument", summary="State and errors of a document",
         description="RECEIVED, PROCESSING, CHECKED_OK (with the number of codes acted on) or CHECKED_NOT_OK with "
                     "every error `{code, path, index, message}` in the caller's language.",
         **guarded("participant", "authority", "operator", also=(404,)))
    async def status(self, ctx: RequestContext, document_id: uuid.UUID,
                     request: Request[Any, Any, Any]) -> DocumentStatus:
        return await services.document_status(ctx, document_id, request_language(request))
