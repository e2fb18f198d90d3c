"""How text becomes search terms, one analyzer for every script.

Words of letters, digits and combining marks are terms; each Han, Hiragana, Katakana or Thai
character is a term of its own, so text without spaces (``武汉疫情爆发了``) is searchable by any
run of characters: a query ``疫情`` becomes the phrase of its two characters, which matches
exactly the posts holding them side by side. Terms are lower-cased and folded to ASCII where
a folding exists (``Ça`` -> ``ca``, ``naïve`` -> ``naive``); Cyrillic, Greek and other scripts
keep their letters, lower-cased.

Keyword fields (source, section, author, language, tags, lexicons, indicator values) are
matched whole and without regard to case (an EVM address matches in any case; two base58
addresses that differ only in case are, in practice, never both real).
"""

from __future__ import annotations

import unicodedata

import tantivy

TEXT = "gs_text"  # the analyzer of the text field
KEY = "gs_key"  # whole value, lower-cased
PATTERN = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}]|[\p{L}\p{N}\p{M}]+"


def text_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(PATTERN))
        .filter(tantivy.Filter.remove_long(100))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def key_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
        .filter(tantivy.Filter.lowercase())
        .build()
    )


def register(index: tantivy.Index) -> None:
    index.register_tokenizer(TEXT, text_analyzer())
    index.register_tokenizer(KEY, key_analyzer())


def normal(text: str) -> str:
    """Composed Unicode (NFC), so that a decomposed ``é`` folds like a composed one."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)
