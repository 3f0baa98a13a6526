"""Participant registry endpoints: participant cards, registration applications and decisions."""

import uuid
from typing import Annotated, Literal

from litestar import Controller, Response, get, post
from litestar.params import Parameter

from api.domain.participants import applications, services
from api.domain.participants.schemas import (
    ApplicationDecision,
    ApplicationStatus,
    ParticipantCard,
    SignedEnvelope,
)
from api.security.context import RequestContext
from api.security.guards import guarded, public
from api.security.verifier_factory import Verifier


class ParticipantController(Controller):
    path = "/api/v1/participants"
    tags = ["Participants"]

    @get("/{bin:str}", operation_id="getParticipant", summary="A participant by BIN/IIN",
         description="The participant's card: names, types of activity, state, region, and its record in the "
                     "state business register. A participant sees its own card; authorities and operators any. "
                     "The BIN/IIN is checked first (length, structure, check digit).",
         **guarded("participant", "authority", "operator", also=(404,)))
    async def get_participant(
        self, ctx: RequestContext, bin: Annotated[str, Parameter(description="BIN or IIN, 12 digits")]
    ) -> ParticipantCard:
        return await services.participant_card(ctx, bin)


class ApplicationController(Controller):
    path = "/api/v1/participants/applications"
    tags = ["Participants"]

    @post("/", operation_id="submitParticipantApplication", summary="Apply for registration (signed)",
          description="Envelope `{type: PARTICIPANT_APPLICATION, document: base64 JSON, signature: base64 CMS "
                      "detached}`; the document is `{id: uuid, bin, types: [participant_types…]}`. The signer's "
                      "certificate must carry the same BIN (IIN for entrepreneurs), and the BIN must be active in "
                      "the state business register. 201 when created, 200 when the same application is sent again.",
          response_description="The application as stored", **public(also=(409, 413), retry=ApplicationStatus))
    async def submit(self, ctx: RequestContext, verifier: Verifier,
                     data: SignedEnvelope) -> Response[ApplicationStatus]:
        status, created = await applications.submit_application(ctx, verifier, data)
        return Response(status, status_code=201 if created else 200)

    @get("/", operation_id="listParticipantApplications", summary="Applications (operator)",
         **guarded("operator"))
    async def list_applications(
        self, ctx: RequestContext,
        status: Annotated[Literal["PENDING", "APPROVED", "REJECTED"] | None,
                          Parameter(query="status", description="PENDING, APPROVED or REJECTED")] = None,
    ) -> list[ApplicationStatus]:
        return await applications.list_applications(ctx, status)

    @get("/{application_id:uuid}", operation_id="getParticipantApplication", summary="One application",
         description="The applicant (once registered) or an operator.",
         **guarded("participant", "operator", also=(404,)))
    async def get_application(self, ctx: RequestContext, application_id: uuid.UUID) -> ApplicationStatus:
        return await applications.get_application(ctx, application_id)

    @post("/{application_id:uuid}/decision", operation_id="decideParticipantApplication", status_code=200,
          summary="Approve or reject an application (operator)",
          description="Approval registers the participant (ACTIVE) with the granted types of activity "
                      "(default: those requested); rejection needs a reason.",
          **guarded("operator", also=(404, 409, 413)))
    async def decide(self, ctx: RequestContext, application_id: uuid.UUID,
                     data: ApplicationDecision) -> ApplicationStatus:
        return await applications.decide_application(ctx, application_id, data)
