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
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

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
_WS = re.compile(r"\s+")
_POST_ID = re.compile(r"(?:^|[?&#/])(?:p|post|postid|post_id|pid)[=-]?(\d+)")
_DIGITS = re.compile(r"\d+")
_WROTE = re.compile(
    r"^\s*(?:quote\s*(?:from)?\s*:?\s*)?(.+?)\s+(?:wrote|said|schreef|написал|menulis|"
    r"писал|a écrit|schrieb)\b",
    re.IGNORECASE,
)
_POSTED_BY = re.compile(r"(?:originally\s+)?posted\s+by\s+(\S+)", re.IGNORECASE)


@dataclass
class HtmlText:
    text: str
    quotes: list[dict[str, Any]] = field(default_factory=list)
    quoted_ids: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


def _is_quote(node: LexborNode) -> bool:
    if node.tag == "blockquote":
        return True
    cls = (node.attributes.get("class") or "").lower()
    if node.tag in ("div", "section", "aside") and "quote" in cls:
        # vBulletin wraps the quote in several divs: only the outermost counts
        return not (node.parent is not None and _is_quote(node.parent))
    return False


def _quote_meta(node: LexborNode) -> tuple[str | None, str | None]:
    """The quoted post id and author that a quote element's markup names, if any."""
    attrs = node.attributes
    author = attrs.get("data-author") or attrs.get("data-username")
    qid = None
    for key in ("data-post-id", "data-quote", "data-source", "data-postid"):
        v = attrs.get(key)
        if v:
            m = _DIGITS.search(v)
            qid = m.group(0) if m else None
            break
    if qid is None or author is None:
        for sub in node.css("cite, .bbcode_postedby, .quote-author, a[data-post-id]"):
            if qid is None:
                v = sub.attributes.get("data-post-id")
                if v:
                    qid = v
                for a in sub.css("a[href]") if sub.tag != "a" else [sub]:
                    href = a.attributes.get("href") or ""
                    if qid is None and (m := _POST_ID.search(href)):
                        qid = m.group(1)
            if author is None:
                t = sub.text(deep=True, separator=" ").strip()
                m = _WROTE.search(t) or _POSTED_BY.search(t)
                if m:
                    author = m.group(1).strip()
            if qid is not None and author is not None:
                break
    return qid, author


def html_to_text(html: str) -> HtmlText:
    """Convert one post body; never raises on malformed markup."""
    if not html:
        return HtmlText("")
    if "<" not in html and "&" not in html:
        return HtmlText(html.strip())
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    out: list[str] = []
    size = 0  # characters in out
    result = HtmlText("")
    # stack items: (node, closing) — closing marks the end of an element's subtree
    stack: list[tuple[LexborNode, bool]] = []
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
        stack.append((c, False))

    def newline() -> None:
        nonlocal size
        if out and not out[-1].endswith("\n"):
            out.append("\n")
            size += 1

    while stack:
        node, closing = stack.pop()
        tag = node.tag
        if closing:
            if tag == "pre":
                pre -= 1
            if tag in BLOCK:
                newline()
            if _is_quote(node) and open_quotes:
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
        if tag == "a":
            href = attrs.get("href")
            if href:
                cls = attrs.get("class") or ""
                text = node.text(deep=True) or ""
                if "quotelink" in cls or text.startswith(">>"):
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
        if _is_quote(node):
            qid, author = _quote_meta(node)
            open_quotes.append((size, qid, author))
        stack.append((node, True))
        kids = []
        child = node.child
        while child is not None:
            kids.append(child)
            child = child.next
        for c in reversed(kids):
            stack.append((c, False))

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
