"""The dashboards' words in Kazakh, Russian and English, from gettext catalogs in ``dashboards/locale``.

The .po files are the source: they are compiled in memory (Babel) when the app starts, so no build
step can leave a stale binary catalog behind. Message ids are stable keys, not English sentences, so
every language, English included, is a translation that can be reviewed on its own.
"""

import datetime as dt
import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_timezone_gmt
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("kk", "ru", "en")
FALLBACK_LANGUAGE = "ru"
DOMAIN = "dashboards"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Each language names itself in the switch, whatever language the page is in.
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
# Kazakhstan keeps one time zone (UTC+5) since 1 March 2024; times are shown in it, with the offset.
DISPLAY_TIMEZONE = ZoneInfo("Asia/Almaty")

Translate = Callable[..., str]


@cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of one language (an empty one when the language has no .po file)."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as f:
        messages = read_po(f, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, messages)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def load_catalogs() -> None:
    """Compile every catalog now, so a broken .po file stops the app at start-up, not on a request."""
    for language in LANGUAGES:
        catalog(language)


def resolve_language(requested: object, default: str) -> str:
    """The language to show: ``requested`` when it is one we speak (``?lang=kk``), else ``default``."""
    if isinstance(requested, list | tuple) and requested:  # ?lang=kk&lang=ru arrives as a list
        requested = requested[0]
    if isinstance(requested, str) and requested.strip().lower() in LANGUAGES:
        return requested.strip().lower()
    return default if default in LANGUAGES else FALLBACK_LANGUAGE


def translator(language: str) -> Translate:
    """A function ``t(key, **params)`` giving the text of ``key`` in ``language``.

    A key missing from the language falls back to Russian, then to the key itself, so a gap in a
    catalog shows up as a readable key instead of an error.
    """

    def t(key: str, **params: object) -> str:
        text = key
        for lang in (language, FALLBACK_LANGUAGE):
            text = catalog(lang).gettext(key)
            if text != key:
                break
        return text % params if params else text

    return t


def format_count(value: int, language: str) -> str:
    return format_decimal(value, locale=language)


def format_timestamp(value: dt.datetime, language: str) -> str:
    """A moment as people in Kazakhstan read it, e.g. ``25 нояб. 2026 г., 14:03:00 (GMT+05:00)``."""
    local = value.astimezone(DISPLAY_TIMEZONE)
    return f"{format_datetime(local, 'medium', locale=language)} ({get_timezone_gmt(local, locale=language)})"


def number_separators(language: str) -> str:
    """Plotly's ``layout.separators`` (decimal mark, then group mark) for ``language``."""
    return ".," if language == "en" else ", "
