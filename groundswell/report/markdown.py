"""A briefing as GitHub-flavoured Markdown, with the charts as PNG files beside it.

The same content in the same order as the HTML (:mod:`groundswell.report.html`, whose
wording, anchors and time format it shares): the header (title, period, audience, data as
of, generated, workspace, redaction notice), the contents, one section per block (caption,
chart, table, excerpts or the analyst's text, notes, then a "Source:" line linking the
definitions in the appendix and the CSV of the block's numbers), and the appendix "How each
figure was made" with every definition and its spec in a fenced block.

Post text is hostile, so every string of the document is escaped to show as literal text
in any CommonMark renderer (:func:`escape`): Markdown punctuation gets a backslash, ``<``
``>`` ``&`` become character references, whitespace collapses to single spaces, and what a
renderer would turn into a link by itself (``https://``, ``www.``, ``user@host``, a bare
domain) is broken by an invisible WORD JOINER (U+2060), so it reads the same but links
nowhere. The only raw HTML is the fixed anchor ``<a id="...">`` of each heading, with an id
made of safe characters. The analyst's Markdown (``block.markdown``) is parsed and written
again (:func:`analyst_markdown`): its structure and emphasis are kept, raw HTML shows as text,
an image becomes ``[image: alt]`` and a link to another site its text with the address after
it, as in the HTML, so the report never loads or links to anything outside its folder.

Example::

    text = to_markdown(doc, {0: "weekly-2020-W11-charts/01-posts-per-week.png"})
    Path("weekly-2020-W11.md").write_text(text)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from groundswell.report.document import Block, Document, Excerpt, Passage, Piece, Table
from groundswell.report.html import (
    APPENDIX_ID,
    APPENDIX_TITLE,
    NOT_REDACTED,
    NOTHING,
    REDACTED,
    block_ids,
    human_time,
    is_local_url,
)
from groundswell.report.render import data_files

APPENDIX_INTRO = (
    "Every figure in this briefing comes from one of these definitions; the CSV files named "
    "under each section hold the numbers."
)
WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$^=])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# where a renderer starts a link of its own: after "scheme:" before "//", after "www" before
# ".", after "@" (emails, mentions), after each dot of a domain name
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)|(?<=\w\.)(?=[^\W\d_])", re.I)
_ALNUM = re.compile(r"[^\W_]")


def to_markdown(doc: Document, charts: dict[int, str]) -> str:
    """``doc`` as Markdown. ``charts`` maps a block's index in ``doc.blocks`` to the relative
    path of its chart as PNG (see :func:`groundswell.report.render.chart_files`)."""
    data = data_files(doc)
    ids = block_ids(doc.blocks)
    parts = [*_header(doc), _contents(doc, ids)]
    for i, id_ in enumerate(ids):
        parts.extend(_block(doc, i, id_, charts.get(i), data))
    parts.extend(_appendix(doc))
    return "\n\n".join(p for p in parts if p) + "\n"


def escape(text: str) -> str:
    """``text`` as Markdown that renders as exactly this text, on one line.

    >>> escape("<b>*1.* see https://x.example</b>")
    '&lt;b&gt;\\\\*1\\\\.\\\\* see https:\\u2060//x\\\\.\\u2060example&lt;/b&gt;'
    """
    text = _AUTOLINK.sub(WORD_JOINER, _CONTROL.sub("", re.sub(r"\s+", " ", text)))
    text = re.sub(r"[&<>]", lambda m: _ENTITIES[m.group()], text)
    return _PUNCTUATION.sub(r"\\\1", text)


def _emphasis(text: str, mark: str) -> str:
    """``text`` escaped, its words between ``mark`` (``*`` italic, ``**`` bold); spaces and
    punctuation at either end stay outside, so the marks open and close wherever they are
    (a search hit inside a word or next to punctuation)."""
    letters = [m.start() for m in _ALNUM.finditer(text)]
    if not letters:
        return escape(text)
    first, last = letters[0], letters[-1] + 1
    core = f"{mark}{escape(text[first:last])}{mark}"
    return f"{escape(text[:first])}{core}{escape(text[last:])}"


def _whole(text: str, mark: str) -> str:
    """A paragraph or table cell all in ``mark`` (``*`` italic, ``**`` bold): at the ends of
    a line or between spaces, the marks open and close whatever the text starts with."""
    text = text.strip()
    return f"{mark}{escape(text)}{mark}" if text else ""


def _anchor(prefix: str, id_: str) -> str:
    """A fragment id from ``id_``: safe characters kept, any other written as ``.XX.`` (its
    code point in hex), so two ids never share an anchor."""
    body = re.sub(r"[^A-Za-z0-9_-]", lambda m: f".{ord(m.group()):x}.", id_)
    return f"{prefix}-{body}"


def _heading(level: int, anchor: str, text: str) -> str:
    """A heading with its fixed anchor tag, the only raw HTML of the report."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", anchor):
        raise ValueError(f"unsafe anchor {anchor!r}")
    return f'{"#" * level} <a id="{anchor}"></a>{escape(text)}'


def _url(path: str) -> str:
    """A relative path as a link destination; anything else is refused."""
    if not is_local_url(path) or path.startswith("#"):
        raise ValueError(f"not a relative path: {path!r}")
    return quote(path, safe="/-._~")


def _header(doc: Document) -> list[str]:
    meta = []
    if doc.as_of is not None:
        meta.append(f"Data as of {human_time(doc, doc.as_of)}")
    meta += [f"Generated {human_time(doc, doc.generated)}", f"Workspace {doc.workspace}"]
    return [
        "Groundswell briefing",
        f"# {escape(doc.title)}",
        _whole(doc.period, "**"),
        f"For {escape(doc.audience)}" if doc.audience.strip() else "",
        " · ".join(escape(m) for m in meta),
        f"> {escape(REDACTED)}" if doc.redacted else f"> {_whole(NOT_REDACTED, '**')}",
    ]


def _contents(doc: Document, ids: list[str]) -> str:
    entries = list(zip((b.title for b in doc.blocks), ids, strict=True))
    if doc.definitions:
        entries.append((APPENDIX_TITLE, APPENDIX_ID))
    lines = [f"{n}. [{escape(title)}](#{a})" for n, (title, a) in enumerate(entries, 1)]
    return "## Contents\n\n" + "\n".join(lines)


def _block(
    doc: Document, i: int, id_: str, chart: str | None, data: dict[tuple[int, str], str]
) -> list[str]:
    block = doc.blocks[i]
    parts = [_heading(2, id_, block.title)]
    if block.caption:
        parts.append(escape(block.caption))
    if chart is not None:
        parts.append(f"![{escape(block.title)}]({_url(chart)})")
    has_rows = block.table is not None and bool(block.table.rows)
    if block.table is not None and has_rows:
        parts.append(_table(block.table))
    parts.extend(_excerpt(excerpt) for excerpt in block.excerpts)
    if block.markdown.strip():
        parts.append(analyst_markdown(block.markdown))
    shown = block.chart is not None or has_rows or block.excerpts or block.markdown.strip()
    if not shown:
        parts.append(_whole(block.empty or NOTHING, "*"))
    if block.notes:
        # "+", a marker the analyst's Markdown never ends with, or the lists would join
        parts.append("\n".join(f"+ {escape(note.strip())}" for note in block.notes))
    parts.append(_sources(doc, i, block, data))
    return parts


def _sources(doc: Document, i: int, block: Block, data: dict[tuple[int, str], str]) -> str:
    links = []
    for ref in block.refs:
        try:
            links.append(f"[{escape(doc.definition(ref).name)}](#{_anchor('def', ref)})")
        except KeyError:
            links.append(escape(ref))
    paths = [data[(i, name)] for name in block.data]
    # (file names are safe names: ASCII letters, digits, "_", "-", "."; shown as they are)
    files = [f"[{path.rsplit('/', 1)[-1]}]({_url(path)})" for path in paths]
    said = []
    if links:
        said.append("Source: " + ", ".join(links))
    if files:
        said.append("Data: " + ", ".join(files))
    return " · ".join(said)


def _table(table: Table) -> str:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    body = [
        row(
            [
                _whole(cell, "*") if (r, c) in table.marked else escape(cell)
                for c, cell in enumerate(cells)
            ]
        )
        for r, cells in enumerate(table.rows)
    ]
    header = row([escape(c) for c in table.columns])
    rule = row(["---:" if numeric else "---" for numeric in table.numeric])
    return "\n".join([header, rule, *body])


def _excerpt(excerpt: Excerpt) -> str:
    where = [excerpt.source, excerpt.section or "", excerpt.time, excerpt.author]
    paragraphs = [" · ".join(escape(w) for w in where if w.strip())]
    if excerpt.title:
        paragraphs.append(_whole(excerpt.title, "**"))
    last = len(excerpt.passages) - 1
    paragraphs.extend(
        _passage(p, cut=excerpt.cut and i == last) for i, p in enumerate(excerpt.passages)
    )
    return _quote("\n\n".join(paragraphs))


def _passage(passage: Passage, *, cut: bool) -> str:
    text = "".join(_piece(p) for p in passage.pieces).strip() + (" …" if cut else "")
    if not passage.quote:
        return text
    said = f"{escape(passage.quoted_author)} wrote:\n\n" if passage.quoted_author else ""
    return _quote(said + text)


def _piece(piece: Piece) -> str:
    return _emphasis(piece.text, "**") if piece.hit else escape(piece.text)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def _appendix(doc: Document) -> list[str]:
    if not doc.definitions:
        return []
    parts = [_heading(2, APPENDIX_ID, APPENDIX_TITLE), escape(APPENDIX_INTRO)]
    for d in doc.definitions:
        parts.append(f"{_heading(3, _anchor('def', d.id), d.name)} · {escape(d.kind)}")
        parts.append(escape(d.text))
        if d.spec.strip():
            parts.append(_fence(d.spec, "toml" if d.kind in ("metric", "list") else ""))
    return parts


def _fence(code: str, info: str = "") -> str:
    """``code`` in a fenced block whose fence no line of it can close."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{code.rstrip(chr(10))}\n{fence}"


# The analyst's Markdown: parsed, then written again from the parse tree, so that everything
# in the result was made here (escaped text, links and images checked) and nothing the parser
# reads differently from GitHub can slip through.

_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_BLOCK_SEPARATOR = "\n\n"


def analyst_markdown(text: str) -> str:
    """The analyst's Markdown, safe to put in a report: the same structure and emphasis,
    headings two levels down (under the section's), raw HTML as text, images as
    ``[image: alt]``, links to other sites as their text and address, all text escaped."""
    return _blocks(SyntaxTreeNode(_PARSER.parse(text)).children, tight=False)


def _blocks(nodes: list[SyntaxTreeNode], *, tight: bool) -> str:
    out: list[str] = []
    previous = ""
    for node in nodes:
        out.append(_node(node, alternate=node.type == previous))
        previous = node.type
    return ("\n" if tight else _BLOCK_SEPARATOR).join(s for s in out if s)


def _node(node: SyntaxTreeNode, *, alternate: bool) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inline(node.children)
    if kind == "heading":
        level = min(6, int(node.tag[1]) + 2)
        return "#" * level + " " + _inline(node.children).replace("\n", " ")
    if kind == "blockquote":
        return _quote(_blocks(node.children, tight=False))
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, alternate=alternate)
    if kind in ("fence", "code_block"):
        info = re.sub(r"[^\w+#.-]", "", node.info.split(" ")[0]) if node.info else ""
        return _fence(node.content, info)
    if kind == "hr":
        return "***"
    if kind == "table":
        return _analyst_table(node)
    if kind == "html_block":
        return "\n".join(escape(line) for line in node.content.splitlines() if line.strip())
    return escape(node.content)  # nothing else is enabled in the parser


def _list(node: SyntaxTreeNode, *, alternate: bool) -> str:
    """A list; two lists in a row get other markers, or they would be read as one."""
    tight = any(p.hidden for item in node.children for p in item.children)
    start = int(str(node.attrs.get("start", 1)))
    items = []
    for n, item in enumerate(node.children):
        if node.type == "bullet_list":
            marker = "*" if alternate else "-"
        else:
            marker = f"{start + n}{')' if alternate else '.'}"
        body = _blocks(item.children, tight=tight)
        pad = " " * (len(marker) + 1)
        lines = body.split("\n") if body else [""]
        first = f"{marker} {lines[0]}".rstrip()
        items.append("\n".join([first, *(pad + line if line else "" for line in lines[1:])]))
    return ("\n" if tight else _BLOCK_SEPARATOR).join(items)


def _analyst_table(node: SyntaxTreeNode) -> str:
    rows = [tr for part in node.children for tr in part.children]
    align = {"text-align:right": "---:", "text-align:center": ":---:", "text-align:left": ":---"}

    def cells(tr: SyntaxTreeNode) -> str:
        texts = [_inline(cell.children, in_table=True).replace("\n", " ") for cell in tr.children]
        return "| " + " | ".join(texts) + " |"

    rule = [align.get(str(cell.attrs.get("style", "")), "---") for cell in rows[0].children]
    return "\n".join([cells(rows[0]), "| " + " | ".join(rule) + " |", *map(cells, rows[1:])])


def _inline(nodes: list[SyntaxTreeNode], *, in_table: bool = False) -> str:
    """Inline content (the children of an ``inline`` node, or of a paragraph's)."""
    out: list[str] = []
    for node in nodes:
        kind = node.type
        if kind == "inline":
            out.append(_inline(node.children, in_table=in_table))
        elif kind in ("text", "html_inline"):
            out.append(escape(node.content))
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "hardbreak":
            out.append("\\\n")
        elif kind == "code_inline":
            out.append(_code(node.content, in_table=in_table))
        elif kind in ("em", "strong", "s"):
            mark = {"em": "*", "strong": "**", "s": "~~"}[kind]
            out.append(f"{mark}{_inline(node.children, in_table=in_table)}{mark}")
        elif kind == "link":
            out.append(_link(node, lambda n: _inline(n, in_table=in_table)))
        elif kind == "image":
            out.append(_image(node))
        else:
            out.append(escape(node.content))
    return "".join(out)


def _code(code: str, *, in_table: bool) -> str:
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if code.startswith(("`", " ")) or code.endswith(("`", " ")) else ""
    if in_table:
        code = code.replace("|", "\\|")
    return f"{ticks}{pad}{code}{pad}{ticks}"


def _plain(nodes: list[SyntaxTreeNode]) -> str:
    return "".join(n.content if not n.children else _plain(n.children) for n in nodes)


def _link(node: SyntaxTreeNode, inline: Callable[[list[SyntaxTreeNode]], str]) -> str:
    href = str(node.attrs.get("href", ""))
    text = inline(node.children)
    if href and is_local_url(href):
        return f"[{text}](<{href}>)"
    if node.markup == "autolink" or not href:  # <https://...>: the text is the address
        return text
    return f"{text} ({escape(href)})"


def _image(node: SyntaxTreeNode) -> str:
    """An image, even one beside the report, loads nothing: its text stays, as in the HTML."""
    return escape(f"[image: {_plain(node.children)}]")
