"""Language negotiation and the kk/ru/en message catalogs."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from api.i18n import LANGUAGES, LOCALE_DIR, negotiate, translate


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "ru"),
        ("", "ru"),
        ("kk", "kk"),
        ("kk-KZ,kk;q=0.9", "kk"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE,en;q=0.5,kk;q=0.8", "kk"),
        ("fr", "ru"),
        ("ru;q=0, en", "en"),
        ("kz", "kk"),
    ],
)
def test_negotiate(header, language):
    assert negotiate(header) == language


def test_every_message_is_translated_in_every_language():
    catalogs = {}
    for lang in LANGUAGES:
        with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalogs[lang] = {m.id: m.string for m in read_po(f) if m.id}
    ids = set(catalogs["ru"])
    for lang, catalog in catalogs.items():
        assert set(catalog) == ids, f"{lang} has other message ids"
        empty = [k for k, v in catalog.items() if not v]
        assert not empty, f"{lang}: untranslated {empty}"


def test_placeholders_are_filled_in_each_language():
    params = {"value": "12345", "length": 5}
    assert translate("bin.length", "kk", params) == "БСН/ЖСН 12 цифрдан тұруы тиіс; «12345» ішінде 5 цифр"
    assert translate("bin.length", "ru", params) == "БИН/ИИН должен содержать 12 цифр; в «12345» их 5"
    assert translate("bin.length", "en", params) == "BIN/IIN must have 12 digits; “12345” has 5"


def test_unknown_code_falls_back_to_the_code():
    assert translate("no.such.message", "kk") == "no.such.message"


def test_locale_folder_is_inside_the_package():
    assert Path(LOCALE_DIR).is_relative_to(Path(__file__).resolve().parents[2] / "api")


@pytest.mark.parametrize(("language", "text"), [
    ("ru", "Некорректный URI GS1 Digital Link: AI 10 не может уточнять AI 00 в пути"),
    ("kk", "Жарамсыз GS1 Digital Link URI: жолда AI 10 AI 00 нақтылай алмайды"),
    ("en", "Not a valid GS1 Digital Link URI: AI 10 cannot qualify AI 00 in the path"),
])
def test_a_named_case_is_shown_in_words_not_as_its_name(language, text):
    params = {"detail": "qualifier_not_allowed", "ai": "10", "primary": "00"}
    assert translate("gs1.digital_link", language, params) == text
    assert translate("gs1.digital_link", "en", {"detail": "percent_encoding"}).endswith(
        "a % not followed by two hexadecimal digits")
    assert translate("gs1.digital_link", "en", {"detail": "unnamed"}).endswith(": unnamed")  # no message: as is


def test_a_long_header_is_read_but_not_kept():
    """Short headers' choices are kept; a long one (a client's megabytes) is parsed every time, never kept."""
    from api.i18n import NEGOTIATED_HEADER_LIMIT, NEGOTIATED_HEADERS_KEPT, _negotiate_kept

    _negotiate_kept.cache_clear()
    assert negotiate("kk-KZ,ru;q=0.5") == "kk" and negotiate("kk-KZ,ru;q=0.5") == "kk"
    assert _negotiate_kept.cache_info().currsize == 1
    long = "en;q=0.1," + "x" * NEGOTIATED_HEADER_LIMIT + ",kk;q=0.9"
    assert negotiate(long) == "kk"
    assert _negotiate_kept.cache_info().currsize == 1
    for i in range(NEGOTIATED_HEADERS_KEPT + 100):
        negotiate(f"ru;q=0.{i % 9 + 1},x{i}")
    assert _negotiate_kept.cache_info().currsize == NEGOTIATED_HEADERS_KEPT
