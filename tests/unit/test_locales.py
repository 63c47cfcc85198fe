"""The gettext catalogs: complete, well-formed, and actually used when a reader switches language.

Extraction runs here in memory with the same mapping (babel.cfg) and keywords as
`make locales-extract`, so a string added to the code without `make locales-update` and an
English translation fails this test, naming the strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core import i18n
from core.i18n import _, ngettext, use_language

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
# The same keywords as EXTRACT in the Makefile (`-k _ -k ngettext:1,2`).
KEYWORDS = {"_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def _read(language: str) -> Catalog:
    with _po_path(language).open("rb") as f:
        return read_po(f, locale=language, domain=i18n.DOMAIN)


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    return {language: _read(language) for language in i18n.LANGUAGES}


@pytest.fixture(scope="module")
def extracted() -> dict[str, str]:
    """msgid (the singular, for ngettext) -> the file it comes from."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, filename)
    return found


def _entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def _forms(message: Message) -> list[tuple[str, str]]:
    """(source, translation) pairs: singular with msgstr[0], plural with every other form."""
    if isinstance(message.id, tuple):
        singular, plural = message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        return [(singular if i == 0 else plural, s) for i, s in enumerate(strings)]
    return [(message.id, message.string)]


def test_extraction_finds_the_code_strings(extracted: dict[str, str]) -> None:
    assert len(extracted) > 100
    assert not [f for f in extracted.values() if f.startswith("tests")]


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_catalog_parses_with_a_usable_header(catalogs: dict[str, Catalog], language: str) -> None:
    catalog = catalogs[language]
    assert str(catalog.locale) == language
    # pybabel compile silently skips a catalog whose header is fuzzy.
    assert not catalog.fuzzy
    assert _entries(catalog)
    assert not list(catalog.check())


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_code_string_is_in_the_catalog(
    catalogs: dict[str, Catalog], extracted: dict[str, str], language: str
) -> None:
    catalog = catalogs[language]
    missing = [f"{where}: {msgid!r}" for msgid, where in extracted.items() if msgid not in catalog]
    assert not missing, (
        f"{len(missing)} strings missing from locales/{language}; run `make locales-update` "
        "and translate them in locales/en:\n" + "\n".join(missing)
    )


def test_vi_catalog_falls_back_to_the_vietnamese_msgids(catalogs: dict[str, Catalog]) -> None:
    header_comment = _po_path("vi").read_text(encoding="utf-8").split('msgid ""')[0]
    assert "EMPTY on purpose" in header_comment
    translated = [m.id for m in _entries(catalogs["vi"]) if any(s for _src, s in _forms(m))]
    assert not translated, "locales/vi keeps msgstr empty: the msgids are already Vietnamese"


def test_english_is_complete(catalogs: dict[str, Catalog]) -> None:
    empty = [m.id for m in _entries(catalogs["en"]) if not all(s for _src, s in _forms(m))]
    fuzzy = [m.id for m in _entries(catalogs["en"]) if m.fuzzy]
    assert not empty, f"untranslated in locales/en: {empty}"
    assert not fuzzy, f"fuzzy (check, then drop the flag) in locales/en: {fuzzy}"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_placeholders_and_tags_survive_translation(
    catalogs: dict[str, Catalog], language: str
) -> None:
    wrong = []
    for message in _entries(catalogs[language]):
        for source, translation in _forms(message):
            if not translation:
                continue
            for pattern in (PLACEHOLDER, TAG):
                if sorted(pattern.findall(source)) != sorted(pattern.findall(translation)):
                    wrong.append(f"{source!r} -> {translation!r}")
    assert not wrong, "\n".join(wrong)


def _stale(language: str) -> bool:
    mo = _po_path(language).with_suffix(".mo")
    return not mo.exists() or mo.stat().st_mtime < _po_path(language).stat().st_mtime


@pytest.fixture
def compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The .mo files `make locales` built; if missing or older than the .po, compiled here."""
    if any(_stale(language) for language in i18n.LANGUAGES):
        for language in i18n.LANGUAGES:
            target = tmp_path / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
            target.parent.mkdir(parents=True)
            buffer = BytesIO()
            write_mo(buffer, _read(language))
            target.write_bytes(buffer.getvalue())
        monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._catalog.cache_clear()
    yield
    i18n._catalog.cache_clear()


@pytest.mark.usefixtures("compiled")
def test_switching_language_translates() -> None:
    assert _("Hướng dẫn") == "Hướng dẫn"
    with use_language("en"):
        assert _("Hướng dẫn") == "Help"
        with use_language("vi"):
            assert _("Hướng dẫn") == "Hướng dẫn"
        assert _("Hướng dẫn") == "Help"
    assert _("Hướng dẫn") == "Hướng dẫn"


@pytest.mark.usefixtures("compiled")
def test_every_english_translation_is_served(catalogs: dict[str, Catalog]) -> None:
    wrong = []
    for message in _entries(catalogs["en"]):
        if message.fuzzy or not all(s for _src, s in _forms(message)):
            continue  # not compiled; test_english_is_complete names it
        if isinstance(message.id, tuple):
            singular, plural = message.id
            with use_language("en"):
                got = (ngettext(singular, plural, 1), ngettext(singular, plural, 2))
            with use_language("vi"):
                vietnamese = (ngettext(singular, plural, 1), ngettext(singular, plural, 2))
            expected, source = tuple(message.string), (singular, plural)
        else:
            with use_language("en"):
                got = _(message.id)
            with use_language("vi"):
                vietnamese = _(message.id)
            expected, source = message.string, message.id
        if got != expected or vietnamese != source:
            wrong.append(f"{message.id!r}: en {got!r}, vi {vietnamese!r}")
    assert not wrong, "\n".join(wrong)
