"""Person names across scripts and transliterations: folding, matching keys, similarity, clusters.

Tajik and Russian Cyrillic (Ғ Ӣ Қ Ӯ Ҳ Ҷ, Ё Ж Х Ц Щ ...) and the English, German, French, Dutch
and Turkish Latin spellings of the same names meet in two forms of each word:

- the *spelling* (`_spelling`): ASCII, with the letters that only differ by transliteration
  convention written one way (kh/h/x/ch -> h, q -> k, dzh/dj/zh/c -> j, w -> v, ou/oo -> u, the
  y-glides of ya/yo/ye/yu dropped, doubled letters single) and the surname suffix
  (-ov/-ova/-ev/-eva/-zoda/-zod/-i/-iy ...) removed;
- the *key* (`token_key`): the spelling's consonant skeleton, vowels dropped (Tajik o/u and a/o
  vary across sources), a leading vowel kept as "a".

`score` aligns the words of two names in any order, lets an initial stand for a word that starts
alike, ignores patronymics, and weighs the worst-matched word heavily, so that two brothers who
share a surname do not match. `cluster` compares only names that share a block of keys, which
keeps it near-linear on 100,000 names. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz.distance import Indel

__all__ = [
    "DEFAULT_THRESHOLD",
    "SEARCH_THRESHOLD",
    "cluster",
    "contains",
    "fold",
    "key",
    "same_person",
    "score",
    "token_key",
    "token_keys",
    "tokens",
]

DEFAULT_THRESHOLD = 0.85
# A search word finds a name word from this similarity: a little below DEFAULT_THRESHOLD, as a
# reader would rather see one more candidate (Amin for Amon) than miss Ibrohimov for Ibragimov.
SEARCH_THRESHOLD = 0.83

# Letters anyascii would flatten in a way that loses the sound: Turkish ş and ç are sh and ch
# (anyascii gives s and c), German ß is ss. Applied before anyascii.
_PRE = str.maketrans({"ş": "sh", "ç": "ch", "ß": "ss", "ё": "yo"})

_WORD = re.compile(r"[^\W\d_]+\.?")
_VOWELS = frozenset("aeiouy")

# Spelling rules, applied in order to a folded ASCII word: each pair maps the spellings of one
# sound in some convention to one form. Longer patterns first.
_RULES: tuple[tuple[str, str], ...] = (
    (r"tsch", "ch"),  # German ч
    (r"dsch", "j"),  # German ҷ
    (r"sch", "sh"),  # German ш
    (r"dzh|dzj|dj|zh", "j"),  # Russian, Dutch, French ҷ; ж
    (r"tsj", "ch"),  # Dutch ч
    (r"sj", "sh"),  # Dutch ш
    (r"(?<=[aeiou])j(?=e)", "y"),  # Dutch/German -jev, -jeva: Gadojev
    (r"(?<=[aeiou])j(?=[^aeiouy]|$)", "y"),  # Dutch/German oj, aj: Chudojdodowa
    (r"(?<=[aeiou])x(?=[aeiou])", "ks"),  # Alexander
    (r"kh|ch|x", "h"),  # х, ҳ; German ch; Uzbek x
    (r"gh", "g"),  # ғ
    (r"ck|q|c(?!h)", "k"),  # қ; Turkish c is ҷ but rare beside k-spellings of қ
    (r"ph", "f"),
    (r"w", "v"),  # German w
    (r"ou|oo", "u"),  # French, English у
    (r"iy|ij|ee", "i"),  # ӣ, ий
    (r"(?<=.)y(?=[aeiou])|^y(?=[aeiou])", ""),  # ya/yo/ye/yu: the glide varies
    (r"y", "i"),
    (r"(?<=[aeiu])ttin$", "ddin"),  # Turkish Muhittin, Nurettin for -iddin
    (r"(.)\1+", r"\1"),  # doubled letters
)
_COMPILED = tuple((re.compile(pattern), repl) for pattern, repl in _RULES)

# Surname endings that vary between sources for one person (Russian -ov/-ova, Tajik -zoda, -i),
# stripped only when at least three letters remain.
_SUFFIXES = ("zoda", "zade", "zod", "ova", "eva", "ov", "ev", "of", "i")

# Patronymics (Kholovich, Kholovna, Холович) are left out of matching: sources rarely agree on
# whether to give one.
_PATRONYMIC = re.compile(r"(ovich|evich|vitch|vitsch|witsch|ovna|evna|owna|ewna|ichna)$")

# Honorifics and titles that some sources put before a name and others leave off.
_TITLES = frozenset({"hoji", "haji", "hojji", "mullo", "mulla", "domullo", "eshoni", "dr", "mr"})


def fold(text: str) -> str:
    """Casefold and transliterate to lower-case ASCII; spaces and punctuation are kept.

    >>> fold("Худойдодова Şahin")
    'khudoydodova shahin'
    """
    text = unicodedata.normalize("NFC", text).casefold().translate(_PRE)
    return anyascii(text).lower()


def tokens(name: str) -> list[str]:
    """The words of a name, folded (letters only; initials without their dot)."""
    return [w for w in (re.sub(r"[^a-z]", "", fold(m.rstrip("."))) for m in _raw(name)) if w]


_APOSTROPHE = re.compile(r"(?<=[^\W\d_])['\u2019\u02bc\u02bb`]+(?=[^\W\d_])")


def _raw(name: str) -> list[str]:
    # An apostrophe inside a word is a Tajik ъ or an Uzbek o' (Sa'di, Саъдӣ): one word. Hyphens
    # split words (Abdul-Malik); a dot is kept to recognise initials.
    return _WORD.findall(_APOSTROPHE.sub("", unicodedata.normalize("NFC", name)))


@lru_cache(maxsize=200_000)
def _spelling(word: str) -> str:
    """One folded word in the common spelling, its surname suffix removed."""
    text = word
    for pattern, repl in _COMPILED:
        text = pattern.sub(repl, text)
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) - len(suffix) >= 3:
            return text[: -len(suffix)]
    return text


def _skeleton(spelling: str) -> str:
    if not spelling:
        return ""
    head = "a" if spelling[0] in _VOWELS else spelling[0]
    return head + "".join(ch for ch in spelling[1:] if ch not in _VOWELS)


def token_key(word: str) -> str:
    """The phonetic matching key of one word: equal for its spellings across transliterations.

    >>> token_key("Quvvatov") == token_key("Kuvatov") == token_key("Қуватов")
    True
    """
    folded = re.sub(r"[^a-z]", "", fold(word))
    return _skeleton(_spelling(folded))


# Tajik a/o and o/u vary between sources (Yaqubov/Yoqubov, Khudoydodova/Khodoydodova), i/e too;
# the two families do not mix: Amon and Amin are two names.
_VOWEL_CLASS = str.maketrans("aoueiy", "aaaiii")


@dataclass(frozen=True)
class _Word:
    spelling: str
    key: str


@dataclass(frozen=True)
class _Name:
    words: tuple[_Word, ...]  # full words, in order
    initials: tuple[str, ...]  # first letter of each initial's key
    text: str  # the folded name, for names that have no words at all


@lru_cache(maxsize=200_000)
def _parse(name: str) -> _Name:
    words: list[_Word] = []
    initials: list[str] = []
    for raw in _raw(name):
        folded = re.sub(r"[^a-z]", "", fold(raw.rstrip(".")))
        if not folded or folded in _TITLES:
            continue
        if len(folded) == 1 or (raw.endswith(".") and len(folded) <= 3):
            initials.append(_skeleton(_spelling(folded))[:1])
        elif len(folded) > 6 and _PATRONYMIC.search(folded):
            continue
        else:
            spelling = _spelling(folded)
            words.append(_Word(spelling, _skeleton(spelling)))
    return _Name(tuple(words), tuple(initials), " ".join(tokens(name)))


def token_keys(name: str) -> list[str]:
    """The keys of the words of a name, in order: patronymics, titles and initials left out
    (an initial cannot find anyone on its own)."""
    return [w.key for w in _parse(name).words]


def key(name: str) -> str:
    """An order-independent key of a whole name: equal for spellings that differ only by
    transliteration, suffix form, word order, patronymic or title."""
    return " ".join(sorted(token_keys(name)))


def _word_similarity(a: _Word, b: _Word) -> float:
    if a.spelling == b.spelling:
        return 1.0
    return _spelling_similarity(*sorted((a.spelling, b.spelling)))


@lru_cache(maxsize=500_000)
def _spelling_similarity(a: str, b: str) -> float:
    short, long = sorted((a, b), key=len)
    if long.startswith(short) and len(long) - len(short) >= 2:
        # Umar and Umarali, Izzat and Izzatullo: a longer name, not another spelling.
        return _EXTENDED
    keys = Indel.normalized_similarity(_skeleton(a), _skeleton(b))
    sounds = Indel.normalized_similarity(a.translate(_VOWEL_CLASS), b.translate(_VOWEL_CLASS))
    return _KEY_WEIGHT * keys + (1 - _KEY_WEIGHT) * sounds


# How much the consonant skeleton counts against the spelling with vowel classes.
_KEY_WEIGHT = 0.35
# A word that is another word with letters added.
_EXTENDED = 0.6
# Each word one name has and the other lacks costs this factor: "Gadoev" alone is not enough
# to say it is Sharofiddin Gadoev.
_MISSING = 0.75
# An initial that agrees with the word it stands for.
_INITIAL = 0.9


def _aligned(
    a: tuple[_Word, ...], b: tuple[_Word, ...]
) -> tuple[list[float], list[int], list[int]]:
    """The best one-to-one pairing of the words of a and b: similarities of the pairs and the
    indexes of the words left over on each side."""
    if len(a) > len(b):
        sims, left_b, left_a = _aligned(b, a)
        return sims, left_a, left_b
    matrix = [[_word_similarity(x, y) for y in b] for x in a]
    best: tuple[float, tuple[int, ...]] = (-1.0, ())
    if len(a) == 1:  # the common cases, without permutations
        j = max(range(len(b)), key=matrix[0].__getitem__)
        chosen: tuple[int, ...] = (j,)
    elif len(a) == 2 and len(b) == 2:
        straight = matrix[0][0] + matrix[1][1] >= matrix[0][1] + matrix[1][0]
        chosen = (0, 1) if straight else (1, 0)
    elif len(b) <= 6:
        for perm in itertools.permutations(range(len(b)), len(a)):
            total = sum(matrix[i][j] for i, j in enumerate(perm))
            if total > best[0]:
                best = (total, perm)
        chosen = best[1]
    else:  # a very long name: greedy pairing
        pairs = sorted(
            ((matrix[i][j], i, j) for i in range(len(a)) for j in range(len(b))), reverse=True
        )
        used_a: dict[int, int] = {}
        used_b: set[int] = set()
        for _sim, i, j in pairs:
            if i not in used_a and j not in used_b:
                used_a[i] = j
                used_b.add(j)
        chosen = tuple(used_a[i] for i in range(len(a)))
    sims = [matrix[i][j] for i, j in enumerate(chosen)]
    return sims, [], [j for j in range(len(b)) if j not in set(chosen)]


def _joined(words: tuple[_Word, ...]) -> list[tuple[_Word, ...]]:
    """The name with each pair of neighbouring words written as one (Muhammad Sharif and
    Muhammadsharif are one given name)."""
    out = []
    for i in range(len(words) - 1):
        spelling = _spelling(words[i].spelling + words[i + 1].spelling)
        out.append(words[:i] + (_Word(spelling, _skeleton(spelling)),) + words[i + 2 :])
    return out


def _score_words(a: _Name, b: _Name) -> float:
    sims, left_a, left_b = _aligned(a.words, b.words)
    # A word one side lacks may be given as an initial on the other side; the initials left
    # on both sides must then agree among themselves; anything else left over is missing.
    initials_a, initials_b = list(a.initials), list(b.initials)
    missing = 0
    for leftover, initials in (
        ([a.words[i] for i in left_a], initials_b),
        ([b.words[j] for j in left_b], initials_a),
    ):
        for word in leftover:
            if word.key[:1] in initials:
                initials.remove(word.key[:1])
                sims.append(_INITIAL)
            else:
                missing += 1
    for initial in list(initials_a):
        if initial in initials_b:
            initials_a.remove(initial)
            initials_b.remove(initial)
            sims.append(1.0)
    missing += len(initials_a) + len(initials_b)
    if not sims:
        return 0.0
    worst = min(sims)
    mean = sum(sims) / len(sims)
    return (0.5 * mean + 0.5 * worst) * _MISSING**missing


def score(a: str, b: str) -> float:
    """How alike two person names are, from 0.0 to 1.0: word order, initials, patronymics,
    titles and transliteration tolerated.

    >>> score("Umarali Quvvatov", "Кувватов Умарали") == 1.0
    True
    """
    na, nb = _parse(a), _parse(b)
    if not na.words or not nb.words:
        if na.initials or nb.initials or not (na.text and nb.text):
            return 0.0
        return Indel.normalized_similarity(na.text, nb.text)
    best = _score_words(na, nb)
    if len(na.words) != len(nb.words) and best < 1.0:
        longer, shorter = (na, nb) if len(na.words) > len(nb.words) else (nb, na)
        for words in _joined(longer.words):
            joined = _Name(words, longer.initials, longer.text)
            best = max(best, _score_words(joined, shorter))
    return round(best, 4)


def same_person(a: str, b: str, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """Whether two names are spellings of one person's name (by the name alone)."""
    return score(a, b) >= threshold


def contains(name: str, query: str, threshold: float = SEARCH_THRESHOLD) -> bool:
    """Whether each word of a search is a spelling of a different word of `name`, and each
    initial in it starts one: "Khudodoyeva" and "Худойдодова" find "Shabnam Khudoydodova",
    "U. Quvvatov" finds "Umarali Quvvatov"; "Jamshed Gadoev" does not find "Sharofiddin Gadoev".
    A search of titles or patronymics only finds nothing."""
    wanted, have = _parse(query), _parse(name)
    if not wanted.words and not wanted.initials:
        return False
    left = list(have.words)
    for word in wanted.words:
        sims = [(_word_similarity(word, other), n) for n, other in enumerate(left)]
        best = max(sims, default=(0.0, -1))
        if best[0] < threshold:
            return False
        left.pop(best[1])
    starts = [w.key[:1] for w in left] + list(have.initials)
    for initial in wanted.initials:
        if initial not in starts:
            return False
        starts.remove(initial)
    return True


def _heads(word: _Word) -> set[str]:
    # The start of the key, and the start after its first letter: French Chabnam and English
    # Shabnam differ in their first letter only.
    heads = {word.key[:3]}
    if len(word.key) >= 4:
        heads.add(word.key[1:4])
    return heads


def _blocks(name: _Name) -> set[tuple[str, str]]:
    """Blocking keys of a parsed name: two names are compared only if they share one.

    A block pairs the start of one word's key with the start of another word's key (or with an
    initial), so spellings that differ late in a word still meet while two persons who share
    only a common given name or surname rarely do."""
    out: set[tuple[str, str]] = set()
    heads = [_heads(w) for w in name.words]
    if len(heads) == 1:
        out.update((h, "") for h in heads[0])
    for x, y in itertools.combinations(heads, 2):
        out.update((min(a, b), max(a, b)) for a in x for b in y)
    for head in set().union(*heads) if heads else ():
        for initial in name.initials:
            out.add((head, "." + initial))
    return out


def _offered(name: _Name) -> set[tuple[str, str]]:
    """The blocks a full name shares with the names that write one of its words as an initial."""
    out: set[tuple[str, str]] = set()
    for i, word in enumerate(name.words):
        for j, other in enumerate(name.words):
            if i != j:
                out.update((h, "." + other.key[:1]) for h in _heads(word))
    return out


def _identity(name: _Name) -> tuple[object, ...]:
    # Names that parse alike (order, titles, patronymics aside) are one name to `cluster`.
    words = tuple(sorted(w.spelling for w in name.words))
    return words, tuple(sorted(name.initials)), "" if words else name.text


def cluster(names: Iterable[str], threshold: float = DEFAULT_THRESHOLD) -> list[list[str]]:
    """Group the names that are spellings of one person's name.

    Full names are linked when they match (single link: a chain of matches is one group). A name
    with initials ("U. Quvvatov") then joins the group it matches best, but never links two
    groups: it could stand for Umarali Quvvatov or for his brother. Only names that share a
    block (`_blocks`) are compared, which keeps 100,000 names to seconds. Each input appears in
    exactly one cluster; clusters and their members keep the input order."""
    items = list(names)
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    first: dict[tuple[object, ...], int] = {}
    for i, text in enumerate(items):
        ident = _identity(_parse(text))
        if ident in first:
            union(first[ident], i)
        else:
            first[ident] = i
    parsed = {i: _parse(items[i]) for i in first.values()}
    full = [i for i, p in parsed.items() if not p.initials]
    abbreviated = [i for i, p in parsed.items() if p.initials]

    buckets: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in full:
        blocks = _blocks(parsed[i]) or {("text", parsed[i].text[:3])}
        for block in blocks:
            buckets[block].append(i)
    seen: set[tuple[int, int]] = set()
    for members in buckets.values():
        for x, y in itertools.combinations(members, 2):
            if (x, y) in seen:
                continue
            seen.add((x, y))
            if find(x) != find(y) and score(items[x], items[y]) >= threshold:
                union(x, y)

    offered: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in full:
        for block in _offered(parsed[i]):
            offered[block].append(i)
    for i in abbreviated:
        for block in _blocks(parsed[i]):
            buckets[block].append(i)
    size: dict[int, int] = defaultdict(int)
    for i in range(len(items)):
        size[find(i)] += 1
    for i in abbreviated:
        candidates = {j for b in _blocks(parsed[i]) for j in (*offered.get(b, ()), *buckets[b])}
        best: tuple[float, int, int] | None = None
        for j in candidates - {i}:
            s = score(items[i], items[j])
            if s >= threshold and (best is None or (s, size[find(j)]) > best[:2]):
                best = (s, size[find(j)], j)
        if best is not None:
            union(i, best[2])

    groups: dict[int, list[str]] = {}
    for i, text in enumerate(items):
        groups.setdefault(find(i), []).append(text)
    return list(groups.values())
