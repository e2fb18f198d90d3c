"""HTML post bodies to plain text, keeping quoted blocks and link targets identifiable.

Uses a real HTML5 parser (lexbor, through selectolax), never regular expressions, and walks the
tree without recursion so hostile, deeply nested markup cannot exhaust the stack.

What :func:`html_to_text` returns:
- ``text``: the visible text; block elements and ``<br>`` become line breaks, whitespace runs
  collapse (except in ``<pre>``), entities are decoded, ``<script>``/``<style>`` are dropped;
- ``quotes``: one span per quoted block in ``text`` (``[start, end)`` in characters) with the
  quoted post id and author where the markup names them. Recognised markup: ``<blockquote>``
  (phpBB ``<cite>X wrote:</cite>`` and ``data-post-id``; XenForo ``data-author`` and
  ``data-quote="post: 123"``), vBulletin ``div.bbcode_quote`` ("Originally Posted by X"), and
  elements whose class names a quote;
- ``quoted_ids``: ids of quoted posts, including imageboard ``>>123`` quote links;
- ``links``: every ``<a href>`` and ``<img src>`` target, as written (metadata only).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from groundswell.errors import RecordError

BLOCK = {
    "p",
    "div",
    "blockquote",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "dd",
    "dt",
    "dl",
    "hr",
    "cite",
    "figure",
    "figcaption",
    "details",
    "summary",
}
DROP = {"script", "style", "noscript", "template", "head", "iframe", "object", "embed"}
# Interface chrome inside post bodies: XenForo's "Click to expand...", vBulletin's quote icon.
DROP_CLASSES = ("bbcodeblock-expandlink", "bbcode_quote_icon")
QUOTE_CONTAINERS = ("div", "section", "aside")
MAX_TAGS = 20_000  # a body with more tags is quarantined: parsing it would take seconds
_WS = re.compile(r"\s+")
_POST_ID = re.compile(r"(?:^|[?&#/])(?:p|post|postid|post_id|pid|id)[=-]?(\d+)|/posts/(\d+)")
_DIGITS = re.compile(r"\d+")
_WROTE = re.compile(
    r"^\s*(?:quote\s*(?:from)?\s*:?\s*)?(.+?)\s+(?:wrote|said|schreef|написал|menulis|"
    r"писал|a écrit|schrieb)\b",
    re.IGNORECASE,
)
_POSTED_BY = re.compile(r"(?:originally\s+)?posted\s+by\s+(\S+)", re.IGNORECASE)
_META = ("cite", "a")  # where a quote names its source ...
_META_CLASSES = ("bbcode_postedby", "quote-author", "bbcodeblock-sourcejump", "bbcodeblock-title")


@dataclass
class HtmlText:
    text: str
    quotes: list[dict[str, Any]] = field(default_factory=list)
    quoted_ids: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


def _classes(node: LexborNode) -> str:
    return (node.attributes.get("class") or "").lower()


def _is_quote(node: LexborNode) -> bool:
    """A ``<blockquote>``, or the outermost of nested containers whose class names a quote
    (vBulletin wraps one quote in several ``*quote*`` divs)."""
    if node.tag == "blockquote":
        return True
    if node.tag not in QUOTE_CONTAINERS or "quote" not in _classes(node):
        return False
    parent = node.parent
    while parent is not None:
        if parent.tag in QUOTE_CONTAINERS and "quote" in _classes(parent):
            return False
        parent = parent.parent
    return True


def _near(node: LexborNode, depth: int = 3) -> Iterator[LexborNode]:
    """Descendants up to ``depth`` levels down: a quote's header is near its top, and looking
    no deeper keeps nested quotes linear."""
    level = [node]
    for _ in range(depth):
        nxt = []
        for n in level:
            child = n.child
            while child is not None:
                if child.tag and not child.tag.startswith("-"):
                    yield child
                    nxt.append(child)
                child = child.next
        level = nxt


def _quote_meta(node: LexborNode) -> tuple[str | None, str | None]:
    """The quoted post id and author that a quote element's markup names, if any
    (phpBB ``<cite>`` and ``data-post-id``; XenForo ``data-quote``/``data-author`` and
    ``data-source="post: N"``; vBulletin "Originally Posted by")."""
    attrs = node.attributes
    quote_attr = attrs.get("data-quote") or ""
    author = (
        attrs.get("data-author")
        or attrs.get("data-username")
        or (quote_attr if quote_attr and not quote_attr.startswith("post") else None)
    )
    qid = None
    for key in ("data-post-id", "data-source", "data-postid", "data-quote"):
        v = attrs.get(key) or ""
        if key == "data-quote" and author == v:
            continue
        if m := _DIGITS.search(v):
            qid = m.group(0)
            break
    if qid is not None and author is not None:
        return qid, author
    for sub in _near(node):
        cls = _classes(sub)
        if sub.tag not in _META and not any(c in cls for c in _META_CLASSES):
            continue
        if qid is None:
            qid = sub.attributes.get("data-post-id")
            for a in [sub] if sub.tag == "a" else sub.css("a[href]"):
                href = a.attributes.get("href") or ""
                if qid is None and (m := _POST_ID.search(href)):
                    qid = m.group(1) or m.group(2)
        if (author is None and sub.tag != "a") or "sourcejump" in cls:
            t = sub.text(deep=True, separator=" ").strip()
            if m := _WROTE.search(t) or _POSTED_BY.search(t):
                author = author or m.group(1).strip()
        if qid is not None and author is not None:
            break
    return qid, author


def html_to_text(html: str) -> HtmlText:
    """Convert one post body. Malformed markup is read as browsers read it; a body of more
    than ``MAX_TAGS`` tags raises RecordError (the record is quarantined)."""
    if not html:
        return HtmlText("")
    if "<" not in html and "&" not in html:
        return HtmlText(html.strip())
    if html.count("<") > MAX_TAGS:
        raise RecordError(f"HTML body with more than {MAX_TAGS:,} tags")
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    out: list[str] = []
    size = 0  # characters in out
    result = HtmlText("")
    # stack items: (node, closing, quote) — closing marks the end of an element's subtree
    stack: list[tuple[LexborNode, bool, bool]] = []
    open_quotes: list[tuple[int, str | None, str | None]] = []
    pre = 0
    if root is None:
        return result
    child = root.child
    children = []
    while child is not None:
        children.append(child)
        child = child.next
    for c in reversed(children):
        stack.append((c, False, False))

    def newline() -> None:
        nonlocal size
        if out and not out[-1].endswith("\n"):
            out.append("\n")
            size += 1

    while stack:
        node, closing, quote = stack.pop()
        tag = node.tag
        if closing:
            if tag == "pre":
                pre -= 1
            if tag in BLOCK:
                newline()
            if quote and open_quotes:
                qstart, qid, author = open_quotes.pop()
                end = size
                for piece in reversed(out):  # a quote's span ends before its trailing breaks
                    kept = piece.rstrip("\n")
                    end -= len(piece) - len(kept)
                    if kept or end <= qstart:
                        break
                end = max(end, qstart)
                result.quotes.append(
                    {"start": qstart, "end": end, "quoted_id": qid, "quoted_author": author}
                )
                if qid and qid not in result.quoted_ids:
                    result.quoted_ids.append(qid)
            continue
        if tag == "-text":
            t = node.text_content or ""
            if not pre:
                t = _WS.sub(" ", t)
                if t.startswith(" ") and (not out or out[-1].endswith((" ", "\n"))):
                    t = t[1:]
            if t:
                out.append(t)
                size += len(t)
            continue
        if tag in DROP or tag == "_comment" or tag is None or tag.startswith("-"):
            continue
        if tag == "br":
            out.append("\n")
            size += 1
            continue
        attrs = node.attributes
        if DROP_CLASSES[0] in _classes(node) or DROP_CLASSES[1] in _classes(node):
            continue
        if tag == "a":
            href = attrs.get("href")
            if href:
                cls = attrs.get("class") or ""
                text = node.text(deep=True) or ""
                if text.startswith(">>>"):  # a link to another board, not a quote here
                    pass
                elif "quotelink" in cls or text.startswith(">>"):
                    m = _DIGITS.search(text) or _DIGITS.search(href)
                    if m and m.group(0) not in result.quoted_ids:
                        result.quoted_ids.append(m.group(0))
                elif not href.startswith("#"):
                    result.links.append(href)
        elif tag == "img":
            src = attrs.get("src")
            if src and not src.startswith("data:"):
                result.links.append(src)
            alt = attrs.get("alt")
            if alt:
                out.append(alt)
                size += len(alt)
        if tag in BLOCK:
            newline()
        if tag == "pre":
            pre += 1
        quote = _is_quote(node)
        if quote:
            qid, author = _quote_meta(node)
            open_quotes.append((size, qid, author))
        stack.append((node, True, quote))
        kids = []
        child = node.child
        while child is not None:
            kids.append(child)
            child = child.next
        for c in reversed(kids):
            stack.append((c, False, False))

    text = "".join(out)
    stripped = text.rstrip()
    lead = len(text) - len(text.lstrip())
    result.text = stripped[lead:]
    if lead:
        for q in result.quotes:
            q["start"] = max(0, q["start"] - lead)
            q["end"] = max(0, q["end"] - lead)
    for q in result.quotes:
        q["end"] = min(q["end"], len(result.text))
        q["start"] = min(q["start"], q["end"])
    return result
