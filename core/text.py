"""Text normalisation shared by importers, searches and validators.

Schools type Vietnamese with and without accents, in any case, with stray spaces; matching
a header or a name must not depend on that. `fold` keeps only what identifies the word.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced form: 'Họ và  Tên' -> 'ho va ten'.

    'đ' is not a combining accent in Unicode, so it is mapped by hand.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def clean_name(text: str) -> str:
    """A person's name as stored: NFC, single spaces, each word capitalised."""
    words = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().split(" ")
    return " ".join(w[:1].upper() + w[1:].lower() for w in words if w)
