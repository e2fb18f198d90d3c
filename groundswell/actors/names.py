"""Name normalisation for alias blocking keys: the same person writes the same name with other
case, accents, separators, look-alike digits or a number tacked on.

``normalise`` folds a name to its key: NFKD with the combining marks dropped (é → e), casefold,
the look-alike characters replaced (0→o, 1→i, 3→e, 4→a, 5→s, 7→t, @→a, $→s; ``one="l"`` reads
1 as l), then every separator (``.``, ``_``, ``-``, spaces) and anything else that is neither a
letter nor a digit removed. ``base`` first strips the trailing digits (a birth year, a counter),
then normalises: the second, looser key. ``keys`` is every key a name blocks under.

    >>> normalise("Quiet_Fox99")
    'quietfox99'
    >>> base("Quiet_Fox99")
    'quietfox'
    >>> normalise("Qu1et.F0x")
    'quietfox'
    >>> normalise("Zoë-Ång")
    'zoeang'
    >>> sorted(keys("B1ue_Owl7"))
    ['biueowl', 'biueowlt', 'blueowl', 'blueowlt']
"""

from __future__ import annotations

import re
import unicodedata

# look-alike characters read as the letter they stand for (1 is ambiguous: i or l)
LOOKALIKE = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_TABLES = {
    one: str.maketrans({**LOOKALIKE, "1": one}) for one in ("i", "l")
}  # one table per reading of 1
_DROP = re.compile(r"[\W_]+")  # separators (._- and spaces) and other punctuation
_TRAILING = re.compile(r"[\d\W_]+$")  # trailing digits (and the separator before them)
MIN_KEY = 3  # shorter keys are not used for blocking: too many people share them


def fold(name: str) -> str:
    """Casefolded, without diacritics (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise(name: str, *, one: str = "i") -> str:
    """The name's key: folded, look-alikes replaced (1 read as ``one``), separators removed."""
    return _DROP.sub("", fold(name).translate(_TABLES[one]))


def base(name: str) -> str:
    """The key without trailing digits: ``base("Quiet_Fox99") == "quietfox"``."""
    return normalise(_TRAILING.sub("", fold(name)))


def keys(name: str) -> set[str]:
    """Every blocking key of a name (normalised with 1 read as i and as l, and without its
    trailing digits), those shorter than ``MIN_KEY`` left out."""
    found = {normalise(name), base(name)}
    if "1" in name:
        stripped = _TRAILING.sub("", fold(name))
        found |= {normalise(name, one="l"), normalise(stripped, one="l")}
    return {k for k in found if len(k) >= MIN_KEY}
