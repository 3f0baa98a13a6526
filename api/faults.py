"""Faults: what is wrong with an input, as a message code plus the field, the item index and parameters.

Pure (no I/O), so domain rules can return faults and every caller renders them in the user's language.
"""

from dataclasses import dataclass, field
from typing import Any

BIN_PATTERN = r"^[0-9]{12}$"  # a BIN or IIN in a path or query parameter (its checksum is checked where it is used)


@dataclass(frozen=True)
class Fault:
    """One broken rule. ``code`` is the message id in the catalogs (``api/locale``)."""

    code: str
    path: str | None = None
    index: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


class TanbaError(Exception):
    """An error a caller can act on; mapped to an RFC 9457 problem with localized messages."""

    status_code = 400
    title_code = "error.bad_request"

    def __init__(self, *faults: Fault, title_code: str | None = None, title_params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.faults = list(faults)
        if title_code:
            self.title_code = title_code
        self.title_params = title_params
        self.headers = headers or {}
        super().__init__(", ".join(f.code for f in self.faults) or self.title_code)


class InvalidInput(TanbaError):
    status_code = 422
    title_code = "error.invalid_input"


class NotFound(TanbaError):
    status_code = 404
    title_code = "error.not_found"


class Conflict(TanbaError):
    status_code = 409
    title_code = "error.conflict"


class Unauthorized(TanbaError):
    status_code = 401
    title_code = "error.unauthorized"


class RateLimited(TanbaError):
    status_code = 429
    title_code = "error.too_many_requests"


class Forbidden(TanbaError):
    status_code = 403
    title_code = "error.forbidden"


class UnsupportedMediaType(TanbaError):
    status_code = 415
    title_code = "error.unsupported_media_type"
