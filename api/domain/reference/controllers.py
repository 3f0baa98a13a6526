"""Reference data endpoints (requirement 20): the one source of directories, registers and classifiers."""

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from api.domain.reference import services
from api.domain.reference.schemas import Directory, DirectoryList
from api.problems import request_language
from api.security.guards import public
from warehouse.database import Database


class ReferenceController(Controller):
    path = "/api/v1/reference"
    tags = ["Reference data"]

    @get("/", operation_id="listDirectories", summary="List the reference directories",
         description="Every directory with its names in kk/ru/en, current version and number of valid entries.",
         **public())
    async def list_directories(self, request: Request[Any, Any, Any], db: Database) -> DirectoryList:
        return await services.list_directories(db, request_language(request), self.path)

    @get("/{directory:str}", operation_id="getDirectory", summary="Entries of one directory",
         description="Entries valid on a date (default today; `at=all` for every entry ever), "
                     "as of a directory version (default the latest). Names in kk, ru and en; "
                     "`label` is the name in the language of Accept-Language.", **public(also=(404,)))
    async def get_directory(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        directory: Annotated[str, Parameter(description="Directory code, e.g. kato_regions")],
        at: Annotated[str | None, Parameter(query="at", description="YYYY-MM-DD or `all`")] = None,
        version: Annotated[int | None, Parameter(query="version", description="Directory version", ge=1)] = None,
    ) -> Directory:
        return await services.get_directory(db, directory, request_language(request), at, version)
