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


# Marks the matching key of a name word (exiledb.names.token_key) in the indexed text: a digit
# then a letter, which no folded word of a name or of prose starts with.
KEY_MARK = "0n"


def name_keys(spellings: Iterable[str]) -> list[str]:
    """Index tokens for the public spellings of a person: the marked matching key of each word,
    so that Khudoydodova, Khodoydodova and Худойдодова (one key) find one another."""
    from exiledb.names import token_keys

    return [KEY_MARK + k for spelling in spellings for k in token_keys(spelling) if k]


def key_alternatives(query_terms: Iterable[str]) -> list[list[str]]:
    """For each query term, the marked keys that also satisfy it: the term's own matching key
    (exact, never a prefix: Rahim must not find Rahmon). Empty for terms too short to be a
    name word, or when the term has no letters."""
    from exiledb.names import token_key

    out = []
    for term in query_terms:
        k = token_key(term) if len(term) >= 3 and not term.isdigit() else ""
        out.append([KEY_MARK + k] if len(k) >= 2 else [])
    return out


def terms(query: str) -> list[str]:
    """The words of a reader's query (at most MAX_TERMS): every one must match the start of a
    word of the record ("gado" finds Gadoev and Gadoyev)."""
    return list(dict.fromkeys(words(query)))[:MAX_TERMS]
