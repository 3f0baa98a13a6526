"""Messages in Kazakh, Russian and English from gettext catalogs (``api/locale``), chosen per request.

The .po files are the source; they are compiled in memory when first used, so no build step can leave
a stale binary catalog behind.
"""

import gettext
import io
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "ru"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@cache
def translations(language: str, domain: str = "messages", locale_dir: Path = LOCALE_DIR) -> gettext.NullTranslations:
    po_path = locale_dir / language / "LC_MESSAGES" / f"{domain}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translate(code: str, language: str, params: dict[str, Any] | None = None) -> str:
    """The message for ``code`` in ``language`` (falling back to Russian, then to the code itself)."""
    for lang in (language, DEFAULT_LANGUAGE):
        text = translations(lang).gettext(code)
        if text != code:
            break
    if params is not None:
        params = {key: _named_value(code, key, value, language, params) for key, value in params.items()}
        try:
            return text % params
        except (KeyError, ValueError, TypeError):
            return text
    return text


# Parameters whose values are names of cases, not text: the message ``<code>.<key>.<value>`` (or the common
# ``name.<value>``) stands in.
NAMED_PARAMETERS = frozenset({"detail", "shape", "expected", "got"})


def _named_value(code: str, key: str, value: Any, language: str, params: dict[str, Any]) -> Any:
    if key not in NAMED_PARAMETERS or not isinstance(value, str):
        return value
    for msgid in (f"{code}.{key}.{value}", f"name.{value}"):  # this message's own word, or the common one
        text = translate(msgid, language, {k: v for k, v in params.items() if k not in NAMED_PARAMETERS})
        if text != msgid:
            return text
    return value


NEGOTIATED_HEADERS_KEPT = 1024
NEGOTIATED_HEADER_LIMIT = 128  # a longer header is parsed every time: a client cannot fill the cache with megabytes


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Pick kk, ru or en from an Accept-Language header (q-values honoured; ``kk-KZ`` counts as kk). A handful
    of headers are most of the traffic: the choice for a short one is kept (at most 1,024 of them)."""
    if accept_language is not None and len(accept_language) > NEGOTIATED_HEADER_LIMIT:
        return _negotiate(accept_language, default)
    return _negotiate_kept(accept_language, default)


def _negotiate(accept_language: str | None, default: str) -> str:
    if not accept_language:
        return default
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0].split("_")[0]
        if primary == "kz":  # a common misspelling of Kazakh
            primary = "kk"
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return sorted(choices)[0][2] if choices else default


_negotiate_kept = lru_cache(maxsize=NEGOTIATED_HEADERS_KEPT)(_negotiate)
