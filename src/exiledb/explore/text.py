"""Search text and search terms in one folded form, for every engine.

Both SQLite FTS5 and PostgreSQL see plain words separated by spaces: lower case, accents and
diacritics removed (Ё and Е, Š and S, Ғ and Г alike), Latin and Cyrillic kept as they are. The
same folding applies to what is indexed and to what a reader types, so the two always meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[^\W_]+")
# Combining marks left by NFKD: Latin and Cyrillic diacritics, breves, macrons, descenders.
_MARKS = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
MAX_TERMS = 8


# Letters that are not a base letter plus a mark: Tajik Cyrillic (Ғ Қ Ҳ Ҷ) as the Russian
# spellings of the same names write them, Turkish dotless ı, and a few Latin ligatures.
_LETTERS = str.maketrans({"ғ": "г", "қ": "к", "ҳ": "х", "ҷ": "ч", "ı": "i", "ø": "o", "đ": "d"})


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Ё' and 'е', 'Š' and 's', 'Ӯ' and 'у', 'Қ' and 'к'
    alike."""
    if text.isascii():
        return text.lower()
    folded = unicodedata.normalize("NFKD", text.casefold()).translate(_LETTERS)
    return _MARKS.sub("", folded)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def document(parts: Iterable[str]) -> str:
    """The indexed text of a record: the folded words of its parts, each word once."""
    return " ".join(dict.fromkeys(words(" ".join(p for p in parts if p))))


def terms(query: str) -> list[str]:
    """The words of a reader's query (at most MAX_TERMS): every one must match the start of a
    word of the record ("gado" finds Gadoev and Gadoyev)."""
    return list(dict.fromkeys(words(query)))[:MAX_TERMS]
