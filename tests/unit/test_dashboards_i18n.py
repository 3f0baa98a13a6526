"""The dashboards' catalogs: every language has every message, with the same placeholders."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from dashboards import figures, i18n

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
CYRILLIC = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
KAZAKH_LETTERS = re.compile(r"[ӘәҒғҚқҢңӨөҰұҮүҺһІі]")


def messages(language: str) -> dict[str, str]:
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    russian = messages("ru")
    for language in i18n.LANGUAGES:
        catalog = messages(language)
        assert set(catalog) == set(russian), language
        for key, text in catalog.items():
            assert text.strip(), (language, key)
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(russian[key])), (language, key)


def test_kazakh_and_russian_are_written_in_cyrillic() -> None:
    kazakh = messages("kk")
    assert all(CYRILLIC.search(text) for text in kazakh.values())
    # Kazakh, not Russian left untranslated: most messages use letters Russian does not have.
    assert sum(bool(KAZAKH_LETTERS.search(text)) for text in kazakh.values()) > len(kazakh) / 2
    assert all(CYRILLIC.search(text) for text in messages("ru").values())


def test_every_key_the_code_uses_is_in_the_catalogs() -> None:
    source = "\n".join(p.read_text() for p in Path(i18n.__file__).parent.rglob("*.py"))
    used = set(re.findall(r"""["']((?:participants|quality)\.[\w.]+)["']""", source))
    used |= {f"participant_type.{code}" for code in figures.PARTICIPANT_TYPES}
    assert len(used) > 20, used
    assert used <= set(messages("ru"))


@pytest.mark.parametrize(
    ("requested", "expected"),
    [("kk", "kk"), (" RU ", "ru"), ("de", "en"), (None, "en"), (["kk", "ru"], "kk")],
)
def test_resolve_language(requested: object, expected: str) -> None:
    assert i18n.resolve_language(requested, default="en") == expected


def test_translator_falls_back_to_russian_then_to_the_key() -> None:
    assert i18n.translator("kk")("quality.passed", time="T") == "Барлық тексерулер сәтті өтті — T"
    assert i18n.translator("de")("participants.title") == "Участники по регионам"
    assert i18n.translator("kk")("no.such.key") == "no.such.key"


def test_catalogs_compile_with_msgfmt_rules() -> None:
    """The .po files are valid for GNU msgfmt too, when it is installed (translators' tools use it)."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext is not installed")
    for language in i18n.LANGUAGES:
        po = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
        result = subprocess.run(
            [msgfmt, "--check", "-o", "/dev/null", str(po)], check=False, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
