"""Withholding names from public text.

Coders write summaries, quotes and notes that mention people by name; some of those people may
not be named in public (minors, pseudonymised relatives) or may not appear at all (restricted
and confidential records, people redacted at their request). Before any text is published,
every recorded spelling of such a person is replaced: by their pseudonym when they appear
publicly under one, by "[name withheld]" otherwise.

Matching works on words, not substrings, so that it costs the same whatever the number of
names: each run of up to MAX_WORDS words of the text is looked up in a dictionary of spellings
(case-insensitive), and a single capitalised word is withheld when it is a word of a withheld
person's spelling ("Alijon" of "Alijon Yaqubov") unless it is also a word of a name the public
may see ("Yaqubov").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WITHHELD = "[name withheld]"
MAX_WORDS = 6
_WORD = re.compile(r"\w+", re.UNICODE)


def _key(words: Iterable[str]) -> str:
    return " ".join(w.casefold() for w in words)


class Withholder:
    def __init__(self) -> None:
        self.phrases: dict[str, str] = {}  # casefolded spelling -> replacement
        self.words: dict[str, str] = {}  # a capitalised word of a spelling -> replacement
        self.public_words: set[str] = set()  # words of names the public may see
        self._start_words: set[str] | None = None
        self._start_count = 0
        self._longest = MAX_WORDS

    def withhold(
        self, spellings: Iterable[str], replacement: str, single_words: bool = True
    ) -> None:
        """Replace these spellings; with `single_words`, also each capitalised word of them
        standing alone (for the people a record is about, whose first name may identify
        them)."""
        for spelling in spellings:
            words_of = _WORD.findall(spelling)
            if not words_of or len(words_of) > MAX_WORDS or len("".join(words_of)) < 3:
                continue
            self.phrases.setdefault(_key(words_of), replacement)
            if not single_words:
                continue
            for word in words_of:
                if len(word) >= 3 and word[:1].isupper():
                    self.words.setdefault(word, replacement)

    def allow(self, spellings: Iterable[str]) -> None:
        """Words of names the public sees stay, even if a withheld person shares them."""
        for spelling in spellings:
            self.public_words.update(_WORD.findall(spelling))

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def scrub(self, text: str) -> str:
        if not text or not self.phrases:
            return text
        words = list(_WORD.finditer(text))
        folded = [m.group().casefold() for m in words]
        starts = self._starts()
        out: list[str] = []
        last = 0
        i = 0
        while i < len(words):
            hit = None
            if folded[i] in starts:  # most words start no spelling: one set lookup
                for size in range(min(self._longest, len(words) - i), 0, -1):
                    key = " ".join(folded[i : i + size])
                    if key in self.phrases:
                        hit = (size, self.phrases[key])
                        break
            if hit is None:
                word = words[i].group()
                if word in self.words and word not in self.public_words:
                    hit = (1, self.words[word])
            if hit is None:
                i += 1
                continue
            size, replacement = hit
            out.append(text[last : words[i].start()])
            out.append(replacement)
            last = words[i + size - 1].end()
            i += size
        out.append(text[last:])
        return "".join(out)

    def _starts(self) -> set[str]:
        """The first words of the withheld spellings, and the longest spelling in words."""
        if self._start_words is None or self._start_count != len(self.phrases):
            self._start_words = {key.split(" ", 1)[0] for key in self.phrases}
            self._longest = max((key.count(" ") + 1 for key in self.phrases), default=1)
            self._start_count = len(self.phrases)
        return self._start_words
