"""OpenAPI details Litestar's decorators cannot say."""

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIResponse, Operation


def also_served_as(*media_types: str) -> type[Operation]:
    """An operation whose 200 answer is documented in more media types than the one of its ``ResponseSpec``
    (Litestar names one; a ``format`` parameter chooses among them), each with the same schema."""

    @dataclass
    class AlsoServedAs(Operation):
        def __post_init__(self) -> None:
            ok = (self.responses or {}).get("200")
            if isinstance(ok, OpenAPIResponse) and ok.content:
                first = next(iter(ok.content.values()))
                for media_type in media_types:
                    ok.content.setdefault(media_type, first)

    return AlsoServedAs
