"""Text normalisation shared by importers, searches and validators.

Schools type Vietnamese with and without accents, in any case, with stray spaces; matching
a header or a name must not depend on that. `fold` keeps only what identifies the word.

Text also arrives with characters nobody typed on purpose: a zero-width space or a right-to-left
override pasted from a web page or a chat, a control character carried over from an old
program, a full-width digit from an East Asian input method. `hidden_character` finds the ones
a record must never carry (they make two equal-looking names differ, reorder what a reader sees,
or are forbidden in XML, where the signed record would then fail to build months later);
`ascii_digits` reads any script's decimal digits as 0-9.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Forbidden in XML 1.0 (§2.2 Char): C0 controls but tab, newline and carriage return, lone
# surrogates, and the two non-characters U+FFFE and U+FFFF. lxml refuses to build a document
# holding one, so a record carrying one could never be issued.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Letters that draw nothing: the Hangul fillers and the blank Braille pattern are "letters"
# or "symbols" for Unicode, yet show as empty space.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Control (Cc), format (Cf: zero-width space and joiners, bidirectional controls such as
# U+202E, the soft hyphen, the BOM), surrogate (Cs), private-use (Co), unassigned (Cn).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form: 'Họ và  Tên' -> 'ho va ten'.

    Compatibility forms are folded too (NFKD), so a full-width 'ＧＶ０１' matches 'GV01'.
    'đ' is not a combining accent in Unicode, so it is mapped by hand.
    """
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def clean_name(text: str) -> str:
    """A person's name as stored: NFC, single spaces, each word capitalised."""
    words = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().split(" ")
    return " ".join(w[:1].upper() + w[1:].lower() for w in words if w)


def hidden_character(text: str, *, newlines: bool = False) -> str | None:
    """The first character of `text` that shows nothing or reorders what is shown, or is
    forbidden in XML; None when there is none. Ordinary spaces, and line breaks and tabs
    when `newlines` (a comment of several lines), are allowed."""
    allowed = "\n\t\r" if newlines else ""
    for ch in text:
        if (ch.isascii() and ch.isprintable()) or ch in allowed:
            continue
        if unicodedata.category(ch) in _HIDDEN_CATEGORIES or ch in _BLANK_LETTERS:
            return ch
    return None


def describe_character(ch: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE': how a message names a character nobody can see."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}".rstrip()


def ascii_digits(text: str) -> str:
    """`text` with every decimal digit of any script written as 0-9 ('０９１２' -> '0912');
    other characters, superscripts and circled numbers included, are left as they are."""
    if text.isascii():
        return text
    return "".join(
        str(unicodedata.decimal(ch)) if not ch.isascii() and ch.isdecimal() else ch for ch in text
    )
