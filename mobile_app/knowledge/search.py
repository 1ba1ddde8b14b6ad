"""Typo-tolerant ranked search over the knowledge base.

Pure Python (standard library only, no I/O, no threads) so the same code runs on the device and
in the browser under Pyodide.

How it works:

* **Normalisation**: case-folded, accents stripped (NFKD), ``µ``/``μ`` → ``u`` and a few letters
  spelled out (``æ`` → ``ae``, ``β`` → ``beta``). Text is cut into *chunks* at whitespace and
  hard punctuation; ``-``, ``'``, ``.``, brackets and ``_`` join the parts of a chunk. A chunk is
  indexed as its alphanumeric runs, its letter/digit pieces and their concatenation, so
  ``25(OH)D`` gives ``25``, ``oh``, ``d`` and ``25ohd``, and ``Ra-223`` gives ``ra``, ``223``
  and ``ra223``.
* **Weights**: every (document, term) weight is precomputed at build time as
  ``Σ field_weight × BM25 saturation(tf, field length)`` with title > keywords > summary >
  body, and every term's idf, so rare terms count more. A query only walks the postings of the
  terms it expands to, scaling each posting list by ``match weight × idf``.
* **Query terms** expand to the exact term (1.0), synonyms (×0.85), prefix completions (sorted
  vocabulary + bisect, scored between exact and fuzzy) and, when the term is not in the
  vocabulary, fuzzy matches (Damerau-Levenshtein/OSA distance 1 from 4 characters, 2 from 8,
  candidates from a SymSpell deletion-neighbourhood index over 7-character prefixes, then
  verified). A document takes the best expansion of each query term.
* **Synonyms** are groups of words or short phrases; multi-word members are indexed as phrase
  terms where they occur in a document and recognised as one unit in a query.
* **Ranking**: documents matching every query term come first (sum of term scores, boosted when
  the whole query appears as a phrase in the title or a keyword); documents matching only some
  terms follow with lower scores. Ties break on title, then id.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Literal, NamedTuple

__all__ = ["SearchDoc", "SearchHit", "SearchIndex"]

Kind = Literal["card", "calculator"]

# Field weights and BM25 length normalisation, in field order: title, keywords, summary, body.
_FIELD_WEIGHTS = (5.0, 3.5, 2.0, 1.0)
_FIELD_B = (0.3, 0.3, 0.5, 0.75)
_K1 = 1.2

# Match weights of an expansion relative to the literal term.
_SYNONYM = 0.85
_PREFIX = 0.75
_PREFIX_WHEN_EXACT = 0.6
_FUZZY = {1: 0.5, 2: 0.4}
_PARTIAL = 0.5
"""Scale of documents that match only some query terms (they also always rank below the rest)."""

# Phrase bonus multipliers: (exact, phrase, phrase ending in a prefix of a word).
_TITLE_BONUS = (2.0, 1.5, 1.2)
_KEYWORD_BONUS = (1.6, 1.3, 1.1)
_MAX_BONUS = max(*_TITLE_BONUS, *_KEYWORD_BONUS)

_PREFIX_LEN = 7
"""Fuzzy candidates come from deletions of the first characters only (SymSpell prefix trick)."""
_MIN_VARIANT = 3
_MAX_FUZZY_LEN = 64
_PREFIX_CAP = {2: 8, 3: 16}
_PREFIX_CAP_LONG = 32
_MAX_QUERY_CHARS = 2000
_MAX_QUERY_CHUNKS = 32
_MAX_PARTS = 8
_MAX_CHAR = "\U0010ffff"

_STOPWORDS = frozenset(
    "a an and are at by for how in is of on or the to what when with".split()
)

_TRANSLATE = str.maketrans(
    {
        "μ": "u",
        "µ": "u",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ß": "ss",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "α": "alpha",
        "β": "beta",
        "γ": "gamma",
        "δ": "delta",
        "κ": "kappa",
    }
)
_HARD = re.compile(r"[^\w\-\u2010\u2011()\[\]'\u2019.]+")
_RUN = re.compile(r"[^\W_]+")
_PIECE = re.compile(r"\d+|[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """A searchable document: a card or a calculator, flattened to text fields."""

    id: str
    """Card or calculator id."""
    kind: Kind
    title: str
    keywords: tuple[str, ...]
    """Synonyms, brand names, abbreviations."""
    summary: str
    body: str
    """All other text (section titles, steps, doses, warnings...)."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked result."""

    id: str
    kind: Kind
    title: str
    score: float
    matched: tuple[str, ...]
    """The indexed terms that matched, sorted (phrase terms contain a space)."""


class _Chunk(NamedTuple):
    key: str
    """All alphanumeric runs joined ("25(oh)d" → "25ohd")."""
    runs: tuple[str, ...]
    """Alphanumeric runs ("25", "oh", "d")."""
    pieces: tuple[str, ...]
    """Runs split further at letter/digit boundaries ("ra223" → "ra", "223")."""


def _normalize(text: str) -> str:
    """Case-fold, strip accents and transliterate a few letters."""
    text = text.casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold().translate(_TRANSLATE)  # casefold again: NFKD can give capitals


def _make_chunk(raw: str) -> _Chunk | None:
    """Analyse one raw chunk (text between hard separators)."""
    if raw.isalnum():
        runs: tuple[str, ...] = (raw,)
    else:
        runs = tuple(_RUN.findall(raw))
        if not runs:
            return None
    pieces: list[str] = []
    for run in runs:
        if run.isalpha() or run.isdigit():
            pieces.append(run)
        else:
            pieces.extend(_PIECE.findall(run))
    return _Chunk("".join(runs), runs, tuple(pieces))


def _chunks(normalized: str) -> list[_Chunk]:
    """Cut normalised text into chunks."""
    return [c for c in map(_make_chunk, _HARD.split(normalized)) if c is not None]


def _phrase_text(text: str) -> str:
    """Normalised alphanumeric runs joined by single spaces: the form of phrase bonuses."""
    return " ".join(_RUN.findall(_normalize(text)))


def _chunk_terms(raw: str) -> tuple[str, tuple[str, ...]]:
    """Key and distinct index terms of one raw chunk ("" and () if it has no letter or digit)."""
    if raw.isalnum() and (raw.isalpha() or raw.isdigit()):
        return raw, (raw,)
    chunk = _make_chunk(raw)
    if chunk is None:
        return "", ()
    return chunk.key, tuple(dict.fromkeys((chunk.key, *chunk.runs, *chunk.pieces)))


def _deletes(word: str, depth: int) -> set[str]:
    """``word`` and every string made by deleting up to ``depth`` (≤ 2) of its characters.

    Variants shorter than three characters are left out: no query variant can be that short.
    """
    n = len(word)
    out = {word}
    if depth >= 1 and n > _MIN_VARIANT:
        out.update([word[:i] + word[i + 1 :] for i in range(n)])
    if depth >= 2 and n > _MIN_VARIANT + 1:
        pairs = combinations(range(n), 2)
        out.update([word[:i] + word[i + 1 : j] + word[j + 1 :] for i, j in pairs])
    return out


def _osa(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment (restricted Damerau-Levenshtein) distance, capped at limit + 1."""
    # Strip the common prefix and suffix; they never change the distance.
    start = 0
    end_a, end_b = len(a), len(b)
    while start < end_a and start < end_b and a[start] == b[start]:
        start += 1
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = a[start:end_a], b[start:end_b]
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    if not la or not lb:
        return max(la, lb)
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        ai = a[i - 1]
        cur = [i] + [0] * lb
        row_min = i
        for j in range(1, lb + 1):
            bj = b[j - 1]
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ai != bj))
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == bj and prev2[j - 2] + 1 < v:
                v = prev2[j - 2] + 1
            cur[j] = v
            if v < row_min:
                row_min = v
        if row_min > limit:  # rows never get better: stop early
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[lb], limit + 1)


def _merge_max(into: dict[int, float], other: dict[int, float]) -> None:
    """``into[d] = max(into[d], other[d])`` for every d; fastest when ``other`` is the smaller."""
    # Only documents in both need a comparison in Python; the rest is copied in C.
    for d in other.keys() & into.keys():
        if into[d] > other[d]:
            other[d] = into[d]
    into.update(other)


def _phrase_factor(query: str, padded: str, bonus: tuple[float, float, float]) -> float:
    """Bonus for the query phrase in one padded (" text ") title or keyword."""
    if padded[1:-1] == query:
        return bonus[0]
    if f" {query} " in padded:
        return bonus[1]
    if len(query) >= 3 and f" {query}" in padded:
        return bonus[2]
    return 1.0


def _index(items: list[str], item: str, start: int) -> int:
    """Position of ``item`` in ``items`` from ``start`` on, or -1."""
    try:
        return items.index(item, start)
    except ValueError:
        return -1


class _Analyzer:
    """Turns document fields into term frequencies during one build.

    Each distinct raw chunk is analysed once; plain words are counted in C by ``Counter``.
    """

    def __init__(self, phrase_starts: dict[str, tuple[tuple[str, ...], ...]]) -> None:
        self._starts = phrase_starts
        self._plain: set[str] = set()
        """Raw chunks that are a single plain word (their own only term)."""
        self._compound: dict[str, tuple[str, tuple[str, ...]]] = {}
        """Other raw chunks → (key, terms); key "" for chunks without letters or digits."""

    def _key(self, raw: str) -> str:
        return raw if raw in self._plain else self._compound[raw][0]

    def field(self, segments: Iterable[str]) -> tuple[dict[str, int], int]:
        """Term frequencies (phrase terms included) and length in chunks of one field.

        Args:
            segments: The field's texts; phrases never span two segments (two keywords).

        Returns:
            Term frequencies and the number of chunks.
        """
        tf: dict[str, int] = {}
        length = 0
        for text in segments:
            raw = _HARD.split(_normalize(text))
            counts = Counter(raw)
            length += len(raw)
            extra: list[tuple[str, int]] = []
            firsts: list[str] = []  # raw chunks that may start a synonym phrase
            for chunk in sorted(counts.keys() - self._plain):
                info = self._compound.get(chunk)
                if info is None:
                    if chunk.isalnum() and (chunk.isalpha() or chunk.isdigit()):
                        self._plain.add(chunk)
                        continue
                    info = self._compound[chunk] = _chunk_terms(chunk)
                count = counts.pop(chunk)
                key, terms = info
                if not key:
                    length -= count
                    continue
                if key in self._starts:
                    firsts.append(chunk)
                extra.extend((term, count) for term in terms)
            if tf:
                for term, count in counts.items():
                    tf[term] = tf.get(term, 0) + count
            else:
                tf = dict(counts)
            for term, count in extra:
                tf[term] = tf.get(term, 0) + count
            if self._starts:
                firsts.extend(self._starts.keys() & counts.keys())
                for first in firsts:
                    start = raw.index(first)
                    while start >= 0:
                        self._count_phrases(raw, start, tf)
                        start = _index(raw, first, start + 1)
        return tf, length

    def _count_phrases(self, raw: list[str], start: int, tf: dict[str, int]) -> None:
        """Count the synonym phrases that start at ``raw[start]``."""
        key = self._key
        for phrase in self._starts[key(raw[start])]:
            i = start
            for word in phrase[1:]:
                i += 1
                while i < len(raw) and not key(raw[i]):  # skip chunks without letters/digits
                    i += 1
                if i >= len(raw) or key(raw[i]) != word:
                    break
            else:
                term = " ".join(phrase)
                tf[term] = tf.get(term, 0) + 1


class _Slot(NamedTuple):
    """One query unit: a word, a compound ("ra-223") or a synonym phrase ("hungry bone")."""

    whole: dict[str, float]
    """Indexed terms that match the unit as a whole, with their match weights."""
    parts: list[dict[str, float]]
    """For compounds and phrases: expansions of each part (all must match)."""
    words: bool
    """Whether the parts are words the user typed (a phrase), so matching some of them counts
    as a partial match; pieces of a compound ("25", "oh", "d") only count all together."""


class SearchIndex:
    """An immutable in-memory search index over knowledge-base documents."""

    __slots__ = (
        "_bonus_text",
        "_deletion_index",
        "_docs",
        "_idf",
        "_keywords_padded",
        "_phrase_starts",
        "_postings",
        "_prefix_rank",
        "_short_prefixes",
        "_synonyms",
        "_titles_padded",
        "_vocab",
    )

    def __init__(self, docs: Iterable[SearchDoc], synonyms: Iterable[Iterable[str]] = ()) -> None:
        """Index ``docs``; prefer :meth:`build`.

        Raises:
            ValueError: if two documents share the same kind and id.
        """
        self._docs: list[SearchDoc] = list(docs)
        seen: set[tuple[str, str]] = set()
        for doc in self._docs:
            if (doc.kind, doc.id) in seen:
                raise ValueError(f"duplicate {doc.kind} id: {doc.id!r}")
            seen.add((doc.kind, doc.id))
        self._build_synonyms(synonyms)
        self._build_postings()
        self._build_vocabulary()

    def __len__(self) -> int:
        """Number of indexed documents."""
        return len(self._docs)

    # ------------------------------------------------------------------ build

    def _build_synonyms(self, groups: Iterable[Iterable[str]]) -> None:
        members_of: dict[str, set[str]] = {}
        phrases: dict[str, set[tuple[str, ...]]] = {}
        for group in groups:
            members: set[str] = set()
            for raw in group:
                keys = tuple(c.key for c in _chunks(_normalize(str(raw))))
                if not keys:
                    continue
                members.add(" ".join(keys))
                if len(keys) > 1:
                    phrases.setdefault(keys[0], set()).add(keys)
            if len(members) < 2:
                continue
            for m in members:
                members_of.setdefault(m, set()).update(members - {m})
        self._synonyms: dict[str, tuple[str, ...]] = {
            m: tuple(sorted(others)) for m, others in members_of.items()
        }
        # Longest phrase first so a query takes the longest one.
        self._phrase_starts: dict[str, tuple[tuple[str, ...], ...]] = {
            first: tuple(sorted(ps, key=lambda p: (-len(p), p))) for first, ps in phrases.items()
        }

    def _build_postings(self) -> None:
        analyzer = _Analyzer(self._phrase_starts)
        fields: list[tuple[tuple[dict[str, int], int], ...]] = []
        totals = [0, 0, 0, 0]
        for doc in self._docs:
            per_field: tuple[tuple[dict[str, int], int], ...] = (
                analyzer.field((doc.title,)),
                analyzer.field(doc.keywords),
                analyzer.field((doc.summary,)),
                analyzer.field((doc.body,)),
            )
            fields.append(per_field)
            for f, (_, length) in enumerate(per_field):
                totals[f] += length
        n = len(self._docs)
        avgs = [t / n if n else 0.0 for t in totals]
        doc_lists: dict[str, list[int]] = {}
        weight_lists: dict[str, list[float]] = {}
        for doc_no, per_field in enumerate(fields):
            weights: dict[str, float] = {}
            for f in (3, 2, 1, 0):  # body first: it has the most terms
                tf, length = per_field[f]
                if not tf:
                    continue
                # BM25 saturation with length normalisation, times the field weight.
                b = _FIELD_B[f]
                denom = _K1 * (1.0 - b + b * length / avgs[f])
                num = _FIELD_WEIGHTS[f] * (_K1 + 1.0)
                if weights:
                    for term, count in tf.items():
                        weights[term] = weights.get(term, 0.0) + num * count / (count + denom)
                else:
                    weights = {term: num * count / (count + denom) for term, count in tf.items()}
            for term, w in weights.items():
                docs = doc_lists.get(term)
                if docs is None:
                    doc_lists[term] = [doc_no]
                    weight_lists[term] = [w]
                else:
                    docs.append(doc_no)
                    weight_lists[term].append(w)
        del fields
        self._postings: dict[str, tuple[array[int], array[float]]] = {
            term: (array("i", docs), array("d", weight_lists[term]))
            for term, docs in doc_lists.items()
        }
        """term → (document numbers ascending, weights without idf)."""
        self._idf: dict[str, float] = {
            t: math.log(1.0 + (n - len(d) + 0.5) / (len(d) + 0.5)) for t, d in doc_lists.items()
        }
        self._titles_padded: list[str] = [f" {_phrase_text(d.title)} " for d in self._docs]
        self._keywords_padded: list[tuple[str, ...]] = [
            tuple(f" {_phrase_text(k)} " for k in d.keywords) for d in self._docs
        ]
        self._bonus_text: list[str] = [
            "\n".join((title, *keywords))
            for title, keywords in zip(self._titles_padded, self._keywords_padded, strict=True)
        ]

    def _build_vocabulary(self) -> None:
        # Single words only (no phrase terms): indexed terms plus synonym words, which expand.
        words = {t for t in self._postings if " " not in t}
        words.update(t for t in self._synonyms if " " not in t)
        self._vocab: list[str] = sorted(words)

        def reach(term: str) -> int:
            return max(
                len(self._postings[t][0]) if t in self._postings else 0
                for t in (term, *self._synonyms.get(term, ()))
            )

        # Completions are ranked by how many documents they reach, then length, then text.
        self._prefix_rank: dict[str, tuple[int, int, str]] = {
            t: (-reach(t), len(t), t) for t in self._vocab
        }
        short: dict[str, list[str]] = {}
        for term in self._vocab:
            for size in _PREFIX_CAP:
                if len(term) > size:
                    short.setdefault(term[:size], []).append(term)
        self._short_prefixes: dict[str, tuple[str, ...]] = {
            p: tuple(heapq.nsmallest(_PREFIX_CAP[len(p)], terms, key=self._prefix_rank.__getitem__))
            for p, terms in short.items()
        }
        # Deletion neighbourhoods of the first _PREFIX_LEN characters → term numbers (an int for
        # the usual single term, a list when several terms share a variant: saves memory).
        deletion_index: dict[str, int | list[int]] = {}
        for term_no, term in enumerate(self._vocab):
            size = len(term)
            if size < _MIN_VARIANT or size > _MAX_FUZZY_LEN + 2:
                continue
            for variant in _deletes(term[:_PREFIX_LEN], 2 if size >= 6 else 1):
                bucket = deletion_index.setdefault(variant, term_no)
                if bucket == term_no:
                    continue
                if isinstance(bucket, int):
                    deletion_index[variant] = [bucket, term_no]
                else:
                    bucket.append(term_no)
        self._deletion_index: dict[str, int | list[int]] = deletion_index

    # ----------------------------------------------------------------- expand

    def _prefix_terms(self, token: str) -> tuple[str, ...]:
        """Most useful vocabulary words that start with ``token`` (excluding it)."""
        size = len(token)
        if size in _PREFIX_CAP:
            return self._short_prefixes.get(token, ())
        lo = bisect_left(self._vocab, token)
        hi = bisect_left(self._vocab, token + _MAX_CHAR, lo)
        found = self._vocab[lo:hi]
        if found and found[0] == token:
            found = found[1:]
        if len(found) > _PREFIX_CAP_LONG:
            found = heapq.nsmallest(_PREFIX_CAP_LONG, found, key=self._prefix_rank.__getitem__)
        return tuple(found)

    def _fuzzy_terms(self, token: str) -> dict[str, int]:
        """Vocabulary words within the allowed edit distance of ``token`` (excluding it)."""
        size = len(token)
        if size < 4 or size > _MAX_FUZZY_LEN:
            return {}
        limit = 2 if size >= 8 else 1
        candidates: set[int] = set()
        for variant in _deletes(token[:_PREFIX_LEN], limit):
            bucket = self._deletion_index.get(variant)
            if isinstance(bucket, int):
                candidates.add(bucket)
            elif bucket is not None:
                candidates.update(bucket)
        out: dict[str, int] = {}
        for term_no in candidates:
            term = self._vocab[term_no]
            if term == token or abs(len(term) - size) > limit:
                continue
            dist = _osa(token, term, limit)
            if dist <= limit:
                out[term] = dist
        return out

    def _add(self, out: dict[str, float], term: str, weight: float) -> None:
        """Add a matched term and its synonyms, keeping the best weight per term."""
        if term in self._postings and weight > out.get(term, 0.0):
            out[term] = weight
        for other in self._synonyms.get(term, ()):
            w = weight * _SYNONYM
            if other in self._postings and w > out.get(other, 0.0):
                out[other] = w

    def _expand(self, token: str) -> dict[str, float]:
        """Indexed terms a query token matches, with match weights."""
        out: dict[str, float] = {}
        exact = token in self._postings or token in self._synonyms
        if exact:
            self._add(out, token, 1.0)
        size = len(token)
        if size >= 2 and not (exact and size <= 3):
            factor = _PREFIX_WHEN_EXACT if exact else 1.0
            for term in self._prefix_terms(token):
                self._add(out, term, _PREFIX * factor * (0.7 + 0.3 * size / len(term)))
        if not exact and token.isalpha():  # no fuzzy numbers: "1000" must not find "100"
            for term, dist in self._fuzzy_terms(token).items():
                self._add(out, term, _FUZZY[dist])
        return out

    def _slots(self, chunks: list[_Chunk]) -> list[_Slot]:
        """Group query chunks into slots: synonym phrases, compounds and words."""
        keys = [c.key for c in chunks]
        units: list[tuple[str, list[_Chunk]]] = []
        i = 0
        while i < len(chunks):
            for phrase in self._phrase_starts.get(keys[i], ()):
                if tuple(keys[i : i + len(phrase)]) == phrase:
                    units.append((" ".join(phrase), chunks[i : i + len(phrase)]))
                    i += len(phrase)
                    break
            else:
                units.append((keys[i], [chunks[i]]))
                i += 1
        content = [u for u in units if len(u[1]) > 1 or u[0] not in _STOPWORDS]
        slots: list[_Slot] = []
        for key, members in content or units:
            if len(members) > 1:  # a synonym phrase
                whole: dict[str, float] = {}
                self._add(whole, key, 1.0)
                parts = [self._expand(c.key) for c in members]
            else:
                whole = self._expand(key)
                pieces = members[0].pieces
                parts = [self._expand(p) for p in pieces[:_MAX_PARTS]] if len(pieces) > 1 else []
            slots.append(_Slot(whole, parts, len(members) > 1))
        return slots

    # ----------------------------------------------------------------- search

    def _collect(self, alternatives: dict[str, float]) -> dict[int, float]:
        """Best score per document over the alternatives' postings."""
        best: dict[int, float] = {}
        for term, match_weight in alternatives.items():
            doc_nos, weights = self._postings[term]
            factor = match_weight * self._idf[term]
            scored = dict(zip(doc_nos, map(factor.__mul__, weights), strict=True))
            if len(scored) > len(best):
                best, scored = scored, best
            _merge_max(best, scored)
        return best

    def _score_slot(self, slot: _Slot) -> tuple[dict[int, float], dict[int, float] | None]:
        """Scores of the documents that fully match a slot, and of those that match part of it.

        The second dict is the first one itself, or None for a phrase whose words can match
        separately: then it is only computed when needed, by :meth:`_partial_slot`.
        """
        whole = self._collect(slot.whole)
        if not slot.parts:
            return whole, whole
        parts = [self._collect(p) for p in slot.parts]
        fewest: dict[int, float] = min(parts, key=len)
        every = set(fewest)
        for scores in parts:
            every.intersection_update(scores)
        strict = {d: parts[0][d] for d in every}
        for scores in parts[1:]:
            for d in every:
                strict[d] += scores[d]
        n = len(parts)
        strict = {d: s / n for d, s in strict.items()}
        _merge_max(strict, whole)
        return strict, None if slot.words else strict

    def _partial_slot(self, slot: _Slot) -> dict[int, float]:
        """Scores of documents that match the slot at least in part (a word of a phrase)."""
        loose: dict[int, float] = {}
        for scores in map(self._collect, slot.parts):
            for d, s in scores.items():
                loose[d] = loose.get(d, 0.0) + s
        n = len(slot.parts)
        loose = {d: s / n for d, s in loose.items()}
        _merge_max(loose, self._collect(slot.whole))
        return loose

    def _matched(self, doc_no: int, slots: list[_Slot]) -> tuple[str, ...]:
        terms: set[str] = set()
        for slot in slots:
            for alternatives in (slot.whole, *slot.parts):
                for term in alternatives:
                    doc_nos = self._postings[term][0]
                    i = bisect_left(doc_nos, doc_no)
                    if i < len(doc_nos) and doc_nos[i] == doc_no:
                        terms.add(term)
        return tuple(sorted(terms))

    def _bonus(self, doc_no: int, phrase: str) -> float:
        """Multiplier for the whole query appearing as a phrase in the title or a keyword."""
        factor = _phrase_factor(phrase, self._titles_padded[doc_no], _TITLE_BONUS)
        for padded in self._keywords_padded[doc_no]:
            factor = max(factor, _phrase_factor(phrase, padded, _KEYWORD_BONUS))
        return factor

    def _top(self, scores: dict[int, float], k: int, phrase: str) -> list[tuple[int, float]]:
        """The k best documents after phrase bonuses, in final order."""
        if not scores:
            return []
        texts = self._bonus_text
        # A cheap test that a document may get a bonus at all (see _phrase_factor).
        probe = f" {phrase}" if len(phrase) >= 3 else f" {phrase} "
        if len(scores) > k:
            # Documents below the k-th score only matter if a bonus can lift them to it.
            kth = heapq.nlargest(k, scores.values())[-1]
            floor = kth / _MAX_BONUS
        else:
            kth = floor = 0.0
        items: list[tuple[int, float]] = []
        for d, s in scores.items():
            if s >= floor and probe in texts[d]:
                s *= self._bonus(d, phrase)
            if s >= kth:
                items.append((d, s))
        docs = self._docs
        items.sort(key=lambda it: (-it[1], docs[it[0]].title, docs[it[0]].id, docs[it[0]].kind))
        return items[:k]

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Rank documents for a free-text query.

        Documents matching every query term come first; documents matching only some follow
        with lower scores. Never raises for any string.

        Args:
            query: What the user typed (any text; typos, prefixes and synonyms are handled).
            limit: Maximum number of hits.

        Returns:
            Hits by score (descending), then title, then id.
        """
        if limit <= 0 or not self._docs or not isinstance(query, str):
            return []
        chunks = _chunks(_normalize(query[:_MAX_QUERY_CHARS]))[:_MAX_QUERY_CHUNKS]
        if not chunks:
            return []
        slots = self._slots(chunks)
        scored = [self._score_slot(slot) for slot in slots]

        fewest: dict[int, float] = min((strict for strict, _ in scored), key=len)
        full = set(fewest)
        for strict, _ in scored:
            full.intersection_update(strict)
        scores = {d: scored[0][0][d] for d in full}
        for strict, _ in scored[1:]:
            for d in full:
                scores[d] += strict[d]
        phrase = " ".join(run for chunk in chunks for run in chunk.runs)
        best = self._top(scores, limit, phrase)
        if len(best) < limit:  # fill up with documents that match only some query terms
            partial: dict[int, float] = {}
            for slot, (_, loose) in zip(slots, scored, strict=True):
                for doc_no, s in (self._partial_slot(slot) if loose is None else loose).items():
                    if doc_no not in full:
                        partial[doc_no] = partial.get(doc_no, 0.0) + s * _PARTIAL
            extra = self._top(partial, limit - len(best), phrase)
            if best and extra and extra[0][1] >= best[-1][1] * 0.9:
                scale = best[-1][1] * 0.9 / extra[0][1]  # keep them below every full match
                extra = [(doc_no, s * scale) for doc_no, s in extra]
            best += extra
        docs = self._docs
        return [
            SearchHit(
                id=docs[doc_no].id,
                kind=docs[doc_no].kind,
                title=docs[doc_no].title,
                score=score,
                matched=self._matched(doc_no, slots),
            )
            for doc_no, score in best
        ]
