"""A briefing as one self-contained HTML5 page: what an analyst mails, opens on an air-gapped
machine, prints, or hands to :mod:`groundswell.report.pdf` for the PDF.

Example::

    from groundswell.report.html import to_html

    Path("weekly-2020-W11.html").write_text(to_html(doc), encoding="utf-8")

The page loads nothing, ever: one ``<style>`` (screen and print, A4 with "Page N of M" and the
title in the footer), charts as inline SVG drawn by vl-convert, no JavaScript, no font files,
no ``<link>``, no remote ``src``/``href``/``url()``; a Content-Security-Policy of
``default-src 'none'`` tells a browser so as well, and the finished page is parsed and refused
if any element would load something (:func:`external_references`). The only links are
``#anchors`` inside the page and the relative links to the CSV files written beside the report
(``<slug>-data/<name>.csv``, named by :func:`groundswell.report.render.data_files`).

Every string of the :class:`~groundswell.report.document.Document` is escaped: post text is
hostile. The analyst's Markdown is rendered with raw HTML shown as text; a link to another
site becomes its text followed by the address in plain text, and an image becomes
"[image: alt]", so neither is fetched nor followed by accident.

Layout: a header (title, period, audience, data as of, generated, workspace, the redaction
notice), the contents, one ``<section>`` per block (title, the caption as a lead sentence,
then its chart, table, excerpt cards or Markdown, small-print notes, and "Source:" links to the
appendix and to the CSV files), and the appendix "How each figure was made" with every
definition at ``#def-<id>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from groundswell.errors import GroundswellError
from groundswell.report.document import Block, Definition, Document, Excerpt, Passage, Table
from groundswell.report.render import data_files
from groundswell.report.time_axis import period_label, wall_clock, zone

__all__ = [
    "FONT_STACK",
    "breakable",
    "external_references",
    "is_local_url",
    "markdown_html",
    "to_html",
]

# System fonts only. The CJK families at the end carry Chinese, Japanese and Korean glyphs
# wherever such a font is installed (Debian: fonts-noto-cjk).
FONT_STACK = (
    'Helvetica, Arial, "Liberation Sans", "DejaVu Sans", "Noto Sans", "Noto Sans CJK SC", '
    '"Noto Sans CJK JP", "Noto Sans CJK KR", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", sans-serif'
)
MONO_STACK = '"DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace'

REDACTED = "Names, handles and emails in excerpts are redacted."
NOT_REDACTED = (
    "Not redacted: excerpts show names, handles and emails as posted. For authorised readers only."
)
NOTHING = "Nothing to show for this period."
APPENDIX_ID = "appendix"
APPENDIX_TITLE = "How each figure was made"

# Okabe-Ito blue for accents, vermillion for the warning; the rest greys.
STYLE = """
:root { color-scheme: light; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: #ffffff; color: #1d1d1f; font-family: FONT;
  font-size: 16px; line-height: 1.5; }
.page { max-width: 800px; margin: 0 auto; padding: 32px 24px 48px; }
a { color: #0072B2; }
h1, h2, h3 { line-height: 1.25; break-after: avoid; page-break-after: avoid; }
h1 { font-size: 30px; margin: 4px 0 6px; string-set: doc-title content(text); }
h2 { font-size: 22px; margin: 0 0 6px; color: #0b3c5d; }
h3 { font-size: 17px; margin: 16px 0 4px; }
.masthead { border-bottom: 3px solid #0072B2; padding-bottom: 16px; margin-bottom: 20px; }
.kicker { margin: 0; font-size: 12px; font-weight: bold; letter-spacing: 0.08em;
  text-transform: uppercase; color: #0072B2; }
.period { margin: 0; font-size: 19px; color: #333333; }
.audience { margin: 6px 0 0; color: #333333; }
.meta { margin: 6px 0 0; font-size: 13px; color: #555555; }
.notice { margin: 12px 0 0; padding: 6px 10px; font-size: 13px; border-radius: 3px;
  background: #eef5fa; border-left: 4px solid #0072B2; color: #1d1d1f; }
.notice.warning { background: #fcebe0; border-left-color: #D55E00; font-weight: bold; }
.contents { margin: 0 0 28px; padding: 12px 18px; background: #f6f8fa;
  border: 1px solid #e1e6eb; border-radius: 4px; }
.contents h2 { font-size: 15px; margin: 0 0 4px; color: #333333; }
.contents ol { margin: 0; padding-left: 22px; }
.contents li { margin: 2px 0; }
.block { margin: 0 0 36px; }
.lead { margin: 0 0 12px; font-size: 17px; color: #222222; break-after: avoid;
  page-break-after: avoid; }
figure { margin: 12px 0; break-inside: avoid; page-break-inside: avoid; }
svg { display: block; max-width: 100%; height: auto; }
.table-wrap { margin: 12px 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 6px 10px; text-align: left; vertical-align: top;
  border-bottom: 1px solid #dde2e7; overflow-wrap: break-word; }
th { border-bottom: 2px solid #0072B2; color: #333333; font-weight: bold; }
tr { break-inside: avoid; page-break-inside: avoid; }
tbody tr:nth-child(even) td { background: #f8f9fa; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.short { white-space: nowrap; }
td.marked, tbody tr:nth-child(even) td.marked { font-style: italic; background: #e3f1fa; }
.excerpt { margin: 12px 0; padding: 12px 16px; border: 1px solid #dde2e7;
  border-left: 4px solid #0072B2; border-radius: 4px; overflow-wrap: anywhere;
  break-inside: avoid; page-break-inside: avoid; }
.excerpt-meta { margin: 0; font-size: 13px; color: #555555; }
.excerpt h3 { margin: 4px 0 8px; font-size: 16px; bookmark-level: none; }
.passage { margin: 6px 0; white-space: pre-line; overflow-wrap: anywhere; }
blockquote { margin: 8px 0; padding: 4px 12px; border-left: 3px solid #b0b8c0;
  background: #f4f5f6; color: #3a3a3a; }
blockquote .passage { margin: 4px 0; }
.quoted-author { margin: 2px 0; font-size: 13px; font-weight: bold; color: #555555; }
mark { background: #fbe8a0; color: inherit; padding: 0 2px; border-radius: 2px; }
.prose { overflow-wrap: anywhere; }
.prose li, .prose ul, .prose ol { break-inside: avoid; page-break-inside: avoid; }
.prose h3, .prose h4, .prose h5, .prose h6 { bookmark-level: none; }
.empty { margin: 8px 0; padding: 10px 14px; color: #555555; font-style: italic;
  background: #f6f8fa; border-radius: 4px; }
.notes { margin: 10px 0 0; padding-left: 18px; font-size: 13px; color: #555555; }
.source { margin: 6px 0 0; font-size: 13px; color: #555555; overflow-wrap: anywhere; }
.notes, .source { break-before: avoid; page-break-before: avoid; }
.appendix { border-top: 3px solid #0072B2; padding-top: 16px; }
.appendix-intro { margin: 0 0 8px; color: #444444; }
.definition { margin: 0 0 16px; break-inside: avoid; page-break-inside: avoid; }
.definition h3 { margin-bottom: 2px; }
.kind { font-size: 12px; font-weight: normal; text-transform: uppercase;
  letter-spacing: 0.06em; color: #0072B2; }
.definition p { margin: 2px 0; }
pre, code { font-family: MONO; font-size: 13px; }
pre { margin: 6px 0 0; padding: 8px 12px; background: #f6f8fa; border: 1px solid #e1e6eb;
  border-radius: 3px; white-space: pre-wrap; overflow-wrap: anywhere; }
@media screen and (max-width: 600px) {
  body { font-size: 15px; }
  .page { padding: 20px 14px 32px; }
  h1 { font-size: 24px; }
  .table-wrap { overflow-x: auto; }
}
@page { size: A4; margin: 18mm 18mm 20mm 18mm;
  @bottom-left { content: string(doc-title); font-family: FONT; font-size: 8pt;
    color: #777777; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-family: FONT;
    font-size: 8pt; color: #777777; } }
@media print {
  body { font-size: 10pt; }
  .page { max-width: none; padding: 0; }
  h1 { font-size: 22pt; }
  h2 { font-size: 15pt; }
  h3 { font-size: 11.5pt; }
  .period { font-size: 13pt; }
  .lead { font-size: 11pt; }
  .meta, .notice, .notes, .source, .excerpt-meta, .quoted-author { font-size: 8.5pt; }
  table { font-size: 9pt; }
  pre, code { font-size: 8.5pt; }
  .contents a::after { content: leader(".") target-counter(attr(href), page); }
  .appendix { break-before: page; page-break-before: always; border-top: none; }
  a { color: inherit; text-decoration: none; }
}
""".replace("FONT", FONT_STACK).replace("MONO", MONO_STACK)

CSP = "default-src 'none'; style-src 'unsafe-inline'"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def to_html(doc: Document) -> str:
    """The whole briefing as one HTML5 page that loads nothing (see the module doc)."""
    ids = block_ids(doc.blocks)
    files = data_files(doc)
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="Groundswell">',
            f'<meta name="dcterms.created" content="{esc(doc.generated.isoformat())}">',
            f"<title>{esc(doc.title)} · {esc(doc.period)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            '<div class="page">',
            _header(doc),
            _contents(doc, ids),
            "<main>",
            *(_block(doc, i, id_, files) for i, id_ in enumerate(ids)),
            "</main>",
            _appendix(doc.definitions),
            "</div>",
            "</body>",
            "</html>",
            "",
        ]
    )
    found = external_references(page)
    if found:
        raise GroundswellError(
            f"refusing to write HTML that would load {', '.join(found[:3])}",
            hint="a report must open on an air-gapped machine",
        )
    return page


def human_time(doc: Document, when: datetime) -> str:
    """``when`` in the report's timezone: "Sun 15 Mar 2020 23:59 UTC"."""
    return f"{period_label(wall_clock(when, zone(doc.timezone)), 'hour')} {doc.timezone}"


def block_ids(blocks: Sequence[Block]) -> list[str]:
    """One anchor per block, from its position and title: ``s1-posts-per-week``."""
    ids = []
    for i, block in enumerate(blocks, 1):
        slug = re.sub(r"[^a-z0-9]+", "-", block.title.lower()).strip("-")[:40].rstrip("-")
        ids.append(f"s{i}-{slug}" if slug else f"s{i}")
    return ids


def _header(doc: Document) -> str:
    meta = []
    if doc.as_of is not None:
        meta.append(f"Data as of {esc(human_time(doc, doc.as_of))}")
    meta.append(f"Generated {esc(human_time(doc, doc.generated))}")
    meta.append(f"Workspace {esc(doc.workspace)}")
    notice = (
        f'<p class="notice">{esc(REDACTED)}</p>'
        if doc.redacted
        else f'<p class="notice warning" role="alert">{esc(NOT_REDACTED)}</p>'
    )
    audience = f'<p class="audience">For {esc(doc.audience)}</p>' if doc.audience else ""
    return (
        '<header class="masthead">'
        '<p class="kicker">Groundswell briefing</p>'
        f"<h1>{esc(doc.title)}</h1>"
        f'<p class="period">{esc(doc.period)}</p>'
        f"{audience}"
        f'<p class="meta">{" · ".join(meta)}</p>'
        f"{notice}"
        "</header>"
    )


def _contents(doc: Document, ids: Sequence[str]) -> str:
    items = [
        f'<li><a href="#{esc(id_)}">{esc(block.title)}</a></li>'
        for block, id_ in zip(doc.blocks, ids, strict=True)
    ]
    if doc.definitions:
        items.append(f'<li><a href="#{APPENDIX_ID}">{esc(APPENDIX_TITLE)}</a></li>')
    return (
        '<nav class="contents" aria-labelledby="contents-title">'
        '<h2 id="contents-title">Contents</h2>'
        f"<ol>{''.join(items)}</ol></nav>"
    )


def _block(doc: Document, i: int, id_: str, files: dict[tuple[int, str], str]) -> str:
    block = doc.blocks[i]
    parts = [f'<section id="{esc(id_)}" class="block block-{esc(block.kind)}">']
    parts.append(f"<h2>{esc(block.title)}</h2>")
    if block.caption:
        parts.append(f'<p class="lead">{esc(block.caption)}</p>')
    shown = False
    if block.chart is not None:
        parts.append(f'<figure class="chart">{inline_svg(block.chart, block.title, id_)}</figure>')
        shown = True
    if block.table is not None and block.table.rows:
        parts.append(_table(block.table))
        shown = True
    if block.excerpts:
        parts.extend(_excerpt(e) for e in block.excerpts)
        shown = True
    if block.markdown.strip():
        parts.append(f'<div class="prose">{markdown_html(block.markdown)}</div>')
        shown = True
    if not shown:
        parts.append(f'<p class="empty">{esc(block.empty or NOTHING)}</p>')
    if block.notes:
        parts.append(f'<ul class="notes">{"".join(f"<li>{esc(n)}</li>" for n in block.notes)}</ul>')
    parts.append(_sources(doc, i, files))
    parts.append("</section>")
    return "".join(parts)


def _sources(doc: Document, i: int, files: dict[tuple[int, str], str]) -> str:
    """ "Source: <definitions> · Data: <CSV files>", or nothing when the block has neither.
    The CSV links are relative, to the files written beside the report (``render.data_files``).
    """
    block = doc.blocks[i]
    said = []
    if block.refs:
        links = [_definition_link(doc.definition(ref)) for ref in block.refs]
        said.append(f"Source: {', '.join(links)}")
    if block.data:
        paths = [files[(i, name)] for name in block.data]
        links = [f'<a href="{esc(quote(p))}">{esc(p.rsplit("/", 1)[-1])}</a>' for p in paths]
        said.append(f"Data: {', '.join(links)}")
    return f'<p class="source">{" · ".join(said)}</p>' if said else ""


def _definition_link(d: Definition) -> str:
    return f'<a href="#def-{esc(quote(d.id, safe=""))}">{esc(d.name)}</a>'


SHORT = 16  # a column whose cells are all this short is never wrapped


def _table(table: Table) -> str:
    short = [
        len(name) <= SHORT and all(len(row[j]) <= SHORT for row in table.rows)
        for j, name in enumerate(table.columns)
    ]

    def cls(j: int, marked: bool = False) -> str:
        names = ["num"] if table.numeric[j] else (["short"] if short[j] else [])
        names += ["marked"] if marked else []
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(
        f'<th scope="col"{cls(j)}>{breakable(name)}</th>' for j, name in enumerate(table.columns)
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td{cls(j, (i, j) in table.marked)}>{breakable(cell)}</td>"
            for j, cell in enumerate(row)
        )
        + "</tr>"
        for i, row in enumerate(table.rows)
    )
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


_LONG_WORD = re.compile(r"\S{25,}")
_WORD_PARTS = re.compile(r"[^/._\-?&=:@]{1,20}[/._\-?&=:@]*|[/._\-?&=:@]+")


def breakable(text: str) -> str:
    """``text`` escaped, with ``<wbr>`` (a line-break opportunity) inside words of 25
    characters or more, after ``/ . _ - ? & = : @`` or every 20 characters: a long URL or
    hash in a table cell wraps instead of pushing the table past the page, while short words
    are never broken."""
    out, pos = [], 0
    for word in _LONG_WORD.finditer(text):
        out.append(esc(text[pos : word.start()]))
        out.append("<wbr>".join(esc(part) for part in _WORD_PARTS.findall(word.group())))
        pos = word.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def _excerpt(e: Excerpt) -> str:
    where = [e.source, *([e.section] if e.section else []), e.time, e.author]
    parts = ['<article class="excerpt">']
    parts.append(f'<p class="excerpt-meta">{" · ".join(esc(w) for w in where)}</p>')
    if e.title:
        parts.append(f"<h3>{esc(e.title)}</h3>")
    last = len(e.passages) - 1
    for i, passage in enumerate(e.passages):
        parts.append(_passage(passage, cut=e.cut and i == last))
    parts.append("</article>")
    return "".join(parts)


def _passage(p: Passage, *, cut: bool) -> str:
    text = "".join(
        f"<mark>{esc(piece.text)}</mark>" if piece.hit else esc(piece.text) for piece in p.pieces
    )
    body = f'<p class="passage">{text}{" …" if cut else ""}</p>'
    if not p.quote:
        return body
    who = f'<p class="quoted-author">{esc(p.quoted_author)} wrote:</p>' if p.quoted_author else ""
    return f"<blockquote>{who}{body}</blockquote>"


def _appendix(definitions: Iterable[Definition]) -> str:
    items = [
        f'<div class="definition" id="def-{esc(d.id)}">'
        f'<h3>{esc(d.name)} <span class="kind">{esc(d.kind)}</span></h3>'
        f"<p>{esc(d.text)}</p>" + (f"<pre>{esc(d.spec)}</pre>" if d.spec else "") + "</div>"
        for d in definitions
    ]
    if not items:
        return ""
    return (
        f'<section id="{APPENDIX_ID}" class="appendix">'
        f"<h2>{esc(APPENDIX_TITLE)}</h2>"
        '<p class="appendix-intro">Every figure in this briefing comes from one of these '
        "definitions; the CSV files named under each section hold the numbers.</p>"
        f"{''.join(items)}</section>"
    )


# --- charts -----------------------------------------------------------------------------------

_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>", re.IGNORECASE)
_ROOT = re.compile(r"<svg\b[^>]*>")
_ROOT_ATTRS = re.compile(r'\s(?:role|aria-label|aria-roledescription|focusable)="[^"]*"')
_IDS = re.compile(r'\bid="([^"]+)"')


def inline_svg(spec: dict[str, object], label: str, prefix: str) -> str:
    """The chart drawn by vl-convert as an ``<svg>`` element to put in the page: no XML
    prolog, ``role="img"`` with ``label`` as its accessible name, and any ``id`` inside it
    prefixed with ``prefix`` so that two charts on one page never share one."""
    import vl_convert as vlc

    svg = _PROLOG.sub("", vlc.vegalite_to_svg(spec, allowed_base_urls=[])).strip()
    root = _ROOT.search(svg)
    if root is None:
        raise GroundswellError("cannot inline chart: vl-convert returned no <svg>")
    tag = _ROOT_ATTRS.sub("", root.group(0))
    tag = tag[:-1] + f' role="img" aria-label="{esc(label)}" focusable="false">'
    svg = svg[: root.start()] + tag + svg[root.end() :]
    for id_ in sorted(set(_IDS.findall(svg)), key=len, reverse=True):
        new = f"{prefix}-{id_}"
        svg = (
            svg.replace(f'id="{id_}"', f'id="{new}"')
            .replace(f"url(#{id_})", f"url(#{new})")
            .replace(f'href="#{id_}"', f'href="#{new}"')
        )
    return svg


# --- the analyst's Markdown -------------------------------------------------------------------

_MD = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(text: str) -> str:
    """The analyst's Markdown as HTML, offline: raw HTML is shown as text, headings start at
    ``<h3>`` (the page has the h1 and the sections' h2), a link to another site becomes
    "text (address)" in plain text, an image "[image: alt]"; ``#anchor`` and relative links
    stay links."""
    tokens = _MD.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
        elif token.type == "inline" and token.children:
            token.children = list(_offline_inline(token.children))
    return _MD.renderer.render(tokens, _MD.options, {})


def _offline_inline(children: Sequence[Token]) -> Iterable[Token]:
    closing: list[str | None] = []  # per open link: None when kept, else the text to append
    for token in children:
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            if is_local_url(href):
                closing.append(None)
                yield token
            else:
                shown = _MD.normalizeLinkText(href)
                closing.append("" if token.markup == "autolink" else f" ({shown})")
        elif token.type == "link_close":
            suffix = closing.pop() if closing else None
            if suffix is None:
                yield token
            elif suffix:
                yield Token("text", "", 0, content=suffix)
        elif token.type == "image":
            yield Token("text", "", 0, content=f"[image: {token.content}]")
        else:
            yield token


# --- nothing external -------------------------------------------------------------------------

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*:", re.IGNORECASE)
_LOADS = {"src", "href", "xlink:href", "srcset", "poster", "data", "action", "formaction"}
_LOADS |= {"background", "ping", "lowsrc", "dynsrc", "longdesc", "manifest", "codebase"}
_TAGS = {"script", "link", "iframe", "frame", "frameset", "object", "embed", "base", "img"}
_TAGS |= {"image", "video", "audio", "source", "track", "picture", "foreignobject", "form"}
_CSS = re.compile(r"@import|url\(\s*(?!['\"]?#)", re.IGNORECASE)


def is_local_url(url: str) -> bool:
    """True for an ``#anchor`` or a relative path (``data/x.csv``); False for anything with a
    scheme (``https:``, ``mailto:``, ``javascript:``), a ``//host`` or an absolute path.
    Control characters and spaces are dropped first, as browsers do."""
    bare = re.sub(r"[\x00-\x20\x7f]", "", url)
    return not (_SCHEME.match(bare) or bare.startswith(("/", "\\")))


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _TAGS:
            self.found.append(f"<{tag}>")
        self._in_style = tag == "style"
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.found.append(f"{name}=")
            elif name in _LOADS and not is_local_url(value):
                self.found.append(f"{name}={value!r}")
            elif name == "style" and _CSS.search(value):
                self.found.append(f"style={value!r}")
            elif name == "http-equiv" and value.lower() == "refresh":
                self.found.append("http-equiv=refresh")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and _CSS.search(data):
            self.found.append("url() or @import in <style>")


def external_references(page: str) -> list[str]:
    """What in ``page`` would load something or run code (a remote ``src``/``href``, a
    ``<script>``, an ``on*`` handler, ``url()`` or ``@import`` in CSS...); empty when none."""
    audit = _Audit()
    audit.feed(page)
    audit.close()
    return audit.found
