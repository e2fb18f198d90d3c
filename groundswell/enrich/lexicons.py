"""Named keyword lexicons, matched with Aho-Corasick over case- and diacritic-folded text.

In the workspace config::

    [lexicons]
    covid = ["covid*", "corona*", "lockdown", "quarantaine", "疫情", "新冠", "коронавирус*",
             "karantina"]

- A term matches case- and diacritic-insensitively (``Quarantäne`` = ``quarantane``; ``й`` is
  kept apart from ``и``).
- In spaced scripts a term matches whole words: ``lockdown`` does not match ``lockdowns``;
  ``*`` at the end (or start) of a term allows any continuation (``corona*`` matches
  ``coronavirus``) and the reported span covers the whole word.
- A term with Chinese or Japanese characters matches as a substring (those scripts have no
  spaces): ``疫情`` matches inside ``新冠疫情期间``.
- Multi-word terms (``paid partnership``) match with single spaces between the words.

Every lexicon hit is an indicator of kind ``lexicon``: ``subkind`` is the lexicon's name,
``value`` the term as configured, ``text[start:end]`` the words that matched.

A built-in lexicon, ``disclosure``, holds sponsorship and advertising disclosure markers in
several languages; a workspace lexicon of the same name replaces it.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick
import numpy as np
from ahocorasick_rs import BytesAhoCorasick

from groundswell.enrich.indicators.base import Found
from groundswell.enrich.text import fold

DISCLOSURE = (
    "#ad", "#ads", "#advert", "#advertisement", "#sponsored", "#sponsor", "#spon",
    "#partner", "#paidpartnership", "paid partnership", "sponsored by", "sponsored post",
    "in partnership with", "#collab", "#gifted", "gifted by",
    "#reclame", "#samenwerking", "#gesponsord", "in samenwerking met", "gesponsord door",
    "#werbung", "#anzeige", "#iklan", "#berbayar", "#endorse", "#endorsement", "dibayar oleh",
    "#реклама", "реклама", "на правах рекламы", "спонсор*",
    "广告", "合作", "推广", "赞助", "#广告#",
)  # fmt: skip

_CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK = re.compile(f"[{_CJK_CLASS}]")
_WORD = re.compile(f"[^\\W_{_CJK_CLASS}]+")  # a word in a spaced script
_SPACES = re.compile(" {2,}")


def _wordy(c: str) -> bool:
    """A character that continues a word in spaced scripts (CJK characters do not)."""
    return c.isalnum() and not _CJK.match(c)


@dataclass(frozen=True)
class Term:
    lexicon: str
    entry: str  # as configured
    prefix: bool  # "corona*": any continuation
    suffix: bool  # "*virus": any beginning
    substring: bool  # CJK: no word boundaries


class Lexicons:
    """The compiled lexicons of a workspace (picklable: rebuilt from ``spec`` when unpickled)."""

    def __init__(self, spec: Mapping[str, Sequence[str]], builtin: bool = True) -> None:
        lexicons = {"disclosure": list(DISCLOSURE)} if builtin else {}
        lexicons.update({k: list(v) for k, v in spec.items()})
        self.spec = lexicons
        self.auto = ahocorasick.Automaton()
        terms: dict[str, list[Term]] = {}
        for name, entries in lexicons.items():
            for entry in entries:
                core = entry.strip().strip("*")
                key = " ".join(fold(core).split())
                if not key:
                    continue
                t = Term(
                    name,
                    entry,
                    prefix=entry.strip().endswith("*"),
                    suffix=entry.strip().startswith("*"),
                    substring=bool(_CJK.search(core)),
                )
                terms.setdefault(key, []).append(t)
        for key, ts in terms.items():
            self.auto.add_word(key, (len(key), ts))
        # finds the texts of a batch worth matching, in one pass over their UTF-8 bytes (a
        # text holding a multi-word term holds its first word)
        first_words = {k.split(" ", 1)[0].encode("utf-8", "surrogatepass") for k in terms}
        self.prefilter = BytesAhoCorasick(sorted(first_words))
        if terms:
            self.auto.make_automaton()
        self.empty = not terms

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # a worker process gets the lexicons with every block it parses: it builds the
        # automata once (about 1 ms), then reuses them
        return (_restored, (json.dumps(self.spec, ensure_ascii=False),))

    @property
    def fingerprint(self) -> str:
        """Changes whenever a lexicon changes (recorded with the enrichment version)."""
        blob = json.dumps(self.spec, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.blake2b(blob, digest_size=4).hexdigest()

    def match_batch(self, texts: Sequence[str], folded: Sequence[str]) -> list[list[Found]]:
        """:meth:`match` for many texts (given with their :func:`fold`): one Aho-Corasick pass
        over all of them finds the few texts with a candidate, which are then matched."""
        out: list[list[Found]] = [[] for _ in texts]
        if self.empty:
            return out
        joined = "\x00".join(f.replace("\x00", " ") if "\x00" in f else f for f in folded)
        data = joined.encode("utf-8", "surrogatepass")
        ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 0)  # where each text ends
        hits = self.prefilter.find_matches_as_indexes(data)
        starts = np.fromiter((h[1] for h in hits), np.int64, len(hits))
        candidates = set(np.searchsorted(ends, starts).tolist())
        for i in sorted(candidates):
            out[i] = self.match(texts[i], folded[i])
        return out

    def match(self, text: str, folded: str | None = None) -> list[Found]:
        """Every lexicon hit in ``text`` (whose :func:`fold` may be given), once per
        (lexicon, span)."""
        if self.empty or not text:
            return []
        if folded is None:
            folded = fold(text)
        if "  " in folded:  # multi-word terms are stored with single spaces between words
            return self._match_spaced(text, folded)
        return self._hits(text, folded, None)

    def _match_spaced(self, text: str, folded: str) -> list[Found]:
        """Runs of spaces collapsed to one; hits mapped back to the original offsets."""
        points: list[int] = []  # squeezed offsets from which ...
        removed: list[int] = []  # ... this many characters were removed before them
        total = 0
        for m in _SPACES.finditer(folded):
            total += m.end() - m.start() - 1
            points.append(m.end() - total)
            removed.append(total)

        def where(x: int) -> int:
            k = bisect_right(points, x) - 1
            return x if k < 0 else x + removed[k]

        return self._hits(text, _SPACES.sub(" ", folded), where)

    def _hits(self, text: str, folded: str, where: Callable[[int], int] | None) -> list[Found]:
        out: list[Found] = []
        seen: set[tuple[str, int, int]] = set()
        n = len(folded)
        words: _Words | None = None
        for last, (length, terms) in self.auto.iter(folded):
            start, end = last - length + 1, last + 1
            for t in terms:
                s, e = start, end
                if not t.substring:
                    # the cheap boundary checks first, the word extensions after
                    if not t.suffix and s > 0 and _wordy(folded[s - 1]) and _wordy(folded[s]):
                        continue
                    if not t.prefix and e < n and _wordy(folded[e]) and _wordy(folded[e - 1]):
                        continue
                    if t.suffix or t.prefix:
                        words = words or _Words(folded)
                        ws, we = words.around(s, e)
                        s = ws if t.suffix else s
                        e = we if t.prefix else e
                if where is not None:
                    s, e = where(s), where(e - 1) + 1
                key = (t.lexicon, s, e)
                if key in seen:
                    continue
                seen.add(key)
                out.append(Found("lexicon", t.entry, s, e, subkind=t.lexicon))
        return out


class _Words:
    """The words (runs of word characters, CJK aside) of a text, to extend a wildcard hit to
    the whole word in O(log n)."""

    def __init__(self, text: str) -> None:
        spans = [m.span() for m in _WORD.finditer(text)]
        self.starts = [a for a, _ in spans]
        self.ends = [b for _, b in spans]

    def around(self, s: int, e: int) -> tuple[int, int]:
        """The start of the word holding ``s`` and the end of the word holding ``e - 1``."""
        i = bisect_right(self.starts, s) - 1
        ws = self.starts[i] if i >= 0 and self.ends[i] > s else s
        j = bisect_right(self.starts, e - 1) - 1
        we = self.ends[j] if j >= 0 and self.ends[j] >= e else e
        return ws, we


@lru_cache(maxsize=8)
def _restored(spec: str) -> Lexicons:
    return Lexicons(json.loads(spec), builtin=False)
