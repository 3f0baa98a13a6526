"""Participant registry endpoints."""

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from api.domain.participants import services
from api.domain.participants.schemas import ParticipantCard
from warehouse.database import Database


class ParticipantController(Controller):
    path = "/api/v1/participants"
    tags = ["Participants"]

    @get("/{bin:str}", operation_id="getParticipant", summary="A participant by BIN/IIN",
         description="The participant's public card: names, types of activity, state, region, and its "
                     "record in the state business register. The BIN/IIN is checked first (length, "
                     "structure, check digit).")
    async def get_participant(
        self, db: Database, bin: Annotated[str, Parameter(description="BIN or IIN, 12 digits")]
    ) -> ParticipantCard:
        return await services.participant_card(db, bin)
