"""Redaction: what leaves the system in a briefing names nobody unless the analyst says so.

By default every email address and @handle anywhere in the document becomes ``[redacted]``
(plain and defanged forms: ``name [at] host [dot] org``, ``u/name``), and so does every name
of the people the excerpts show: the authors' ids and display names and the authors their
quotes name, whole words only and ignoring case. The whole document is walked: excerpts,
titles, captions, tables, the analyst's text, the appendix, chart data and the CSV files, so
an author who also tops a list is not named there either. A name needs a letter: a numeric
id (a forum member number) would redact dates and times, so the builder redacts the excerpts'
author fields themselves. Nothing is changed with ``--no-redact``.

Example::

    r = Redactor({"quiet_fox", "Quiet Fox"})
    r("quiet_fox wrote: mail me at fox@example.org")   # "[redacted] wrote: mail me at [redacted]"
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any, TypeVar

import pyarrow as pa

MARK = "[redacted]"
EMAIL = re.compile(
    r"[\w.+%-]+(?:@|\s*[\[({]at[\])}]\s*)[\w-]+"
    r"(?:(?:\.|\s*[\[(](?:\.|dot)[\])]\s*|\s+dot\s+)[\w-]+)+",
    re.IGNORECASE,
)
HANDLE = re.compile(r"(?<![\w@.])@[\w][\w.]{0,63}\w|(?<![\w/])/?u/[\w-]{3,}", re.UNICODE)
T = TypeVar("T")


def _named(name: str) -> bool:
    return len(name) >= 2 and any(c.isalpha() for c in name)


class Redactor:
    """Replaces emails, handles and the given names (whole words, any case) by ``[redacted]``."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        # a name has a letter: numeric ids (forum member numbers) would redact dates and times
        kept = sorted({n.strip() for n in names if n and _named(n.strip())}, key=len)
        self.names = kept[::-1]  # longest first: "Quiet Fox" before "Fox"
        alternatives = "|".join(re.escape(n) for n in self.names)
        self._names = (
            re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if kept else None
        )

    def __call__(self, text: str) -> str:
        text = EMAIL.sub(MARK, text)
        text = HANDLE.sub(MARK, text)
        if self._names is not None:
            text = self._names.sub(MARK, text)
        return text

    def walk(self, value: T) -> T:
        """``value`` with every string in it redacted: strings, lists, tuples, sets, dicts
        (keys kept), dataclasses and Arrow tables (string columns), recursively."""
        return self._walk(value)

    def _walk(self, v: Any) -> Any:
        if isinstance(v, str):
            return self(v)
        if isinstance(v, list):
            return [self._walk(x) for x in v]
        if isinstance(v, tuple):
            return tuple(self._walk(x) for x in v)
        if isinstance(v, dict):
            return {k: self._walk(x) for k, x in v.items()}
        if isinstance(v, pa.Table):
            return self._table(v)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            changes = {
                f.name: self._walk(getattr(v, f.name)) for f in dataclasses.fields(v) if f.init
            }
            return dataclasses.replace(v, **changes)
        return v

    def _table(self, t: pa.Table) -> pa.Table:
        for i, f in enumerate(t.schema):
            if pa.types.is_string(f.type) or pa.types.is_large_string(f.type):
                col = [None if x is None else self(x) for x in t.column(i).to_pylist()]
                t = t.set_column(i, f, pa.array(col, type=f.type))
        return t
