"""Services of the codes context."""

from api.domain.codes import gs1
from api.domain.codes.schemas import ElementValue, ParsedCodeOut


def parse_code(value: str) -> ParsedCodeOut:
    """Every accepted spelling of a code, parsed into one shape (or InvalidInput naming the AI and rule)."""
    parsed = gs1.parse(value)
    return ParsedCodeOut(
        gtin=parsed.gtin, serial=parsed.serial, sscc=parsed.sscc, crypto_key_id=parsed.crypto_key_id,
        crypto_signature=parsed.crypto_signature, identification_code=parsed.identification_code,
        ais=[ElementValue(ai, value, gs1.AI_TABLE[ai].title) for ai, value in parsed.ais],
        element_string=parsed.element_string(), bracketed=parsed.bracketed(),
        digital_link=parsed.digital_link() if parsed.identification_code else None,
        marking_code=parsed.marking_code() if parsed.identification_code else None,
    )
