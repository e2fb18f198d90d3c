"""Who posts: a community's members, with activity windows that keep the ground truth exact.

Core members are active for the whole span and never fall silent for long (a "heartbeat"
forces anyone quiet for ``HEARTBEAT_DAYS`` to post next); occasional members are active for
a window of at most ``MAX_WINDOW_DAYS``. Together this guarantees that no member except a
planted returner has a silence longer than 180 days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

HEARTBEAT_DAYS = 75
MAX_WINDOW_DAYS = 170


@dataclass
class Member:
    name: str
    uid: int
    lang: str
    first: int  # day index
    last: int
    weight: float
    core: bool
    last_post: int = -1


class Members:
    def __init__(
        self,
        rng: random.Random,
        names: list[str],
        langs: list[tuple[str, float]],
        span: tuple[int, int],
        core: int,
        uid0: int = 2,
        core_langs: list[str] | None = None,
    ) -> None:
        """``names`` supplies ``core`` core members first, then occasional ones."""
        self.rng = rng
        lo, hi = span
        codes = [c for c, _ in langs]
        weights = [w for _, w in langs]
        self.members: list[Member] = []
        for i, name in enumerate(names):
            if i < core:
                # every language of the community gets core members, round-robin first
                if core_langs and i < len(core_langs):
                    lang = core_langs[i]
                else:
                    lang = rng.choices(codes, weights)[0]
                m = Member(name, 0, lang, lo, hi, rng.uniform(1.0, 6.0), True)
            else:
                length = rng.randint(15, MAX_WINDOW_DAYS)
                start = rng.randint(lo - length // 2, hi)
                m = Member(
                    name,
                    0,
                    rng.choices(codes, weights)[0],
                    max(lo, start),
                    min(hi, start + length),
                    rng.uniform(0.3, 2.0),
                    False,
                )
            self.members.append(m)
        # user ids follow registration order
        for uid, m in enumerate(sorted(self.members, key=lambda m: (m.first, m.name)), uid0):
            m.uid = uid
        self.core = [m for m in self.members if m.core]
        self._core_by_lang: dict[str, tuple[list[Member], list[float]]] = {}
        for lang in sorted({m.lang for m in self.core}):
            ms = [m for m in self.core if m.lang == lang]
            self._core_by_lang[lang] = (ms, _cum([m.weight for m in ms]))
        self._core_all = (self.core, _cum([m.weight for m in self.core]))
        self._day = -1
        self._active: dict[str, tuple[list[Member], list[float]]] = {}
        self._overdue: list[Member] = []

    def _refresh(self, day: int) -> None:
        self._day = day
        active: dict[str, list[Member]] = {}
        for m in self.members:
            if not m.core and m.first <= day <= m.last:
                active.setdefault(m.lang, []).append(m)
        self._active = {k: (v, _cum([m.weight for m in v])) for k, v in active.items()}
        # the heartbeat: a core member quiet for too long posts next
        self._overdue = [
            m for m in self.core if m.last_post >= 0 and day - m.last_post >= HEARTBEAT_DAYS
        ]

    def pick(self, day: int, lang: str) -> Member:
        rng = self.rng
        if day != self._day:
            self._refresh(day)
        if self._overdue:
            m = self._overdue.pop()
        else:
            pool = self._active.get(lang)
            if pool is None or rng.random() < 0.45:
                ms, cum = self._core_by_lang.get(lang) or self._core_all
            else:
                ms, cum = pool
            m = rng.choices(ms, cum_weights=cum)[0]
        m.last_post = day
        return m

    def active(self, day: int) -> list[Member]:
        """Everyone who may post on ``day`` (core members first)."""
        if day != self._day:
            self._refresh(day)
        out = list(self.core)
        for lang in sorted(self._active):
            out.extend(self._active[lang][0])
        return out


def _cum(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out
