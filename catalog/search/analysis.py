"""Chinese-aware text analysis for the catalogue's search, shared by every backend.

Why each step exists:
- Word segmentation (rjieba) gives good ranking for well-split text, but a segmenter splits
  some titles badly (人类简史 → 人类/简史 is fine, a rare name may be cut in two), so every
  run of Han characters is also indexed as overlapping character bigrams (and single
  characters): a query's bigrams always match the title's, whatever either was split into.
- Readers type pinyin on phones and self-check machines: syllables ("hong lou meng"), joined
  ("hongloumeng") and initials ("hlm") are all indexed. A record's own pinyin (CNMARC $A/$9)
  wins over pypinyin's reading, which matters for polyphones (重庆 chóng, 长安 cháng).
- 紅樓夢 and 红楼梦 are one book: traditional characters fold to simplified (OpenCC t2s) at
  index and at query time; full-width Latin letters and digits (ＩＳＢＮ９７８…) fold to
  half-width (NFKC).
- ISBNs are indexed as ISBN-13 and ISBN-10; call numbers by every prefix, so "I242" finds
  I242.4/12 and "TP3" finds TP311/5.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from catalog.marc.isbn import isbn13_to_10, normalise_isbn

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}]+")
# Dots inside transliterated names (简·爱, 大卫·科波菲尔): readers type the name without them.
_NAME_DOTS = re.compile(f"(?<=[{_HAN}])[·・•‧∙](?=[{_HAN}])")
_HAN_CHAR = re.compile(f"[{_HAN}]")
_LATIN_WORD = re.compile(r"[0-9a-z]+")
_CALL_NUMBER = re.compile(r"^[a-z]{1,2}\d[\d.\-/:=()]*$")
_ISBN_LIKE = re.compile(r"^(?:isbn)?[\d\-\s]{9,17}[\dx]$")


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Full-width → half-width, traditional → simplified, lower case, accents off Latin letters."""
    text = unicodedata.normalize("NFKC", text)
    if _HAN_CHAR.search(text):
        text = _NAME_DOTS.sub("", _t2s().convert(text))
    text = text.casefold()
    if not text.isascii():
        # Strip combining marks (é → e) but keep Han and other scripts whole.
        decomposed = unicodedata.normalize("NFKD", text)
        text = unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    return text


def _segment(run: str) -> list[str]:
    import rjieba

    return [w for w in rjieba.cut(run) if w.strip()]


@lru_cache(maxsize=65536)
def han_terms(run: str) -> tuple[str, ...]:
    """Words, bigrams and single characters of one run of Han characters (already folded).

    Cached: names, series and common title words recur across a catalogue, and segmentation
    is most of what indexing a record costs."""
    terms = [w for w in _segment(run) if len(w) > 1]
    terms += [run[i : i + 2] for i in range(len(run) - 1)]
    terms += list(run)
    return tuple(terms)


def text_terms(text: str | None) -> list[str]:
    """Index terms of free text (title, author, publisher, subject): folded, segmented."""
    if not text:
        return []
    folded = fold(text)
    terms: list[str] = []
    for run in _HAN_RUN.findall(folded):
        terms.extend(han_terms(run))
    terms += _LATIN_WORD.findall(_HAN_RUN.sub(" ", folded))
    return _unique(terms)


@dataclass(frozen=True)
class Pinyin:
    syllables: list[str] = field(default_factory=list)  # ["hong", "lou", "meng"]
    joined: str = ""  # "hongloumeng"
    initials: str = ""  # "hlm"

    def terms(self) -> list[str]:
        return _unique([*self.syllables, *(t for t in (self.joined, self.initials) if t)])


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable, taken from pypinyin's own dictionary (about 420)."""
    from pypinyin import Style
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    return frozenset(
        convert(reading, Style.NORMAL, strict=True) for readings in pinyin_dict.values() for reading in readings.split(",")
    ) | {"v", "lv", "nv", "lve", "nve"}


def split_syllables(word: str) -> list[str] | None:
    """'zhongguo' → ['zhong', 'guo']; None if the word is not a run of pinyin syllables.

    Catalogued pinyin is written by word (CNMARC $A "Zhongguo fazhan baogao"), but readers
    type initials by syllable (zgfzbg). Fewest syllables wins, which prefers 'xian' over 'xi'+'an'
    the way cataloguers' apostrophes (xi'an) would otherwise tell.
    """
    known = _syllables()
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            head = best[start]
            if head is not None and word[start:end] in known:
                candidate = [*head, word[start:end]]
                if best[end] is None or len(candidate) < len(best[end]):  # type: ignore[arg-type]
                    best[end] = candidate
    return best[len(word)]


def _given_syllables(given: str) -> list[str] | None:
    syllables: list[str] = []
    for word in re.findall(r"[a-z]+", fold(given).replace("ü", "v")):
        split = split_syllables(word)
        if split is None:
            return None  # not pinyin after all (an English title in $A): compute instead
        syllables += split
    return syllables or None


@lru_cache(maxsize=65536)
def _run_pinyin(run: str) -> tuple[str, ...]:
    """pypinyin's toneless reading of a run of Han characters (cached like han_terms)."""
    from pypinyin import Style, lazy_pinyin

    return tuple(s.replace("ü", "v") for s in lazy_pinyin(run, style=Style.NORMAL) if s.isalpha())


def pinyin_of(text: str | None, given: str | None = None) -> Pinyin:
    """Pinyin of a title or name: the record's own (``given``, e.g. from CNMARC $A, split into
    syllables) when it has one, else computed from the Han characters. Text without Han
    characters has none."""
    syllables: list[str] = []
    if given and text and _HAN_CHAR.search(text):
        syllables = _given_syllables(given) or []
    if not syllables and text and _HAN_CHAR.search(text):
        for run in _HAN_RUN.findall(fold(text)):
            syllables += _run_pinyin(run)
    if not syllables:
        return Pinyin()
    return Pinyin(syllables, "".join(syllables), "".join(s[0] for s in syllables))


def isbn_terms(isbns: list[str]) -> list[str]:
    """Each ISBN as ISBN-13 and, for 978 ISBNs, ISBN-10: a reader may type either."""
    terms: list[str] = []
    for isbn in isbns:
        normal = normalise_isbn(isbn)
        if normal:
            terms.append(normal)
            ten = isbn13_to_10(normal)
            if ten:
                terms.append(ten.lower())
    return _unique(terms)


def call_number_terms(call_number: str | None) -> list[str]:
    """Every prefix of the call number's class part and the whole call number: "I242.4/12" →
    i, i2, i24, i242, i242.4, i242.4/12. A prefix search is then an exact term match."""
    if not call_number:
        return []
    folded = fold(call_number).replace(" ", "")
    cls = re.split(r"[/:=]", folded, maxsplit=1)[0]
    prefixes = [cls[:n] for n in range(1, len(cls) + 1) if not cls[:n].endswith((".", "-"))]
    return _unique([*prefixes, folded])


@dataclass(frozen=True)
class AnalysedQuery:
    """What a query means for the index: which kinds of terms to look for."""

    text: list[str]  # terms every one of which should match title/authors/... (AND)
    ranking: list[str]  # extra terms that only improve the order (segmented words)
    pinyin: list[str]  # pinyin terms, when the query could be pinyin
    isbn: str | None  # a normalised ISBN-13, when the query is one
    call_number: str | None  # a call-number prefix term, when the query looks like one


def analyse_query(query: str) -> AnalysedQuery:
    folded = fold(query).strip()
    compact = folded.replace(" ", "").replace("-", "")
    isbn = normalise_isbn(compact) if _ISBN_LIKE.match(folded) else None
    call_number = folded.replace(" ", "") if _CALL_NUMBER.match(folded.replace(" ", "")) else None
    text: list[str] = []
    ranking: list[str] = []
    for run in _HAN_RUN.findall(folded):
        if len(run) == 1:
            text.append(run)
        else:
            # Bigrams are what must match: they do whatever the segmenter made of the title.
            text += [run[i : i + 2] for i in range(len(run) - 1)]
            ranking += [w for w in _segment(run) if len(w) > 1]
    latin = _LATIN_WORD.findall(_HAN_RUN.sub(" ", folded))
    text += latin
    pinyin: list[str] = []
    if latin and not _HAN_CHAR.search(folded) and all(w.isalpha() for w in latin):
        # "hong lou meng" → syllables; "hongloumeng" / "hlm" → joined or initials term.
        pinyin = latin if len(latin) > 1 else [latin[0]]
    return AnalysedQuery(_unique(text), _unique(ranking), pinyin, isbn, call_number)


def _unique(terms: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in terms if t))
