"""Stack Exchange data dump: ``Posts.xml`` (questions, answers and the site's wiki posts).

The dump (archive.org, one ``.7z`` per site) holds one ``<posts>`` document whose children are
empty ``<row .../>`` elements, every field an attribute::

    <posts>
      <row Id="1" PostTypeId="1" AcceptedAnswerId="3" CreationDate="2010-07-28T19:04:21.300"
           Score="12" ViewCount="900" Body="&lt;p&gt;...&lt;/p&gt;" OwnerUserId="7"
           Title="..." Tags="&lt;python&gt;&lt;sql&gt;" AnswerCount="2" CommentCount="1"
           ContentLicense="CC BY-SA 4.0" />
      <row Id="3" PostTypeId="2" ParentId="1" ... />
    </posts>

Quirks handled:
- ``PostTypeId``: 1 question, 2 answer, 3 to 8 the site's wiki posts (tag wikis, excerpts,
  moderator nominations, help-centre placeholders, privilege wikis), any other number kept
  as ``post_type_<n>``;
- ``Tags`` in both spellings: ``<python><sql>`` (dumps up to 2024) and ``|python|sql|`` (later);
- times are UTC without an offset (``2010-07-28T19:04:21.300``);
- ``Body`` is rendered HTML: converted by :func:`html_to_text` (code blocks keep their lines);
- ``OwnerDisplayName`` only appears for deleted or anonymous owners; ``OwnerUserId`` ``-1`` is
  the Community user;
- answers carry no title: the question's title fills ``thread_title`` when the question came
  earlier in the file (a bounded cache of recent question titles; dumps are ordered by ``Id``).

Hostile input: the file is streamed through an ``lxml`` pull parser fed 64 KB at a time (rows
cleared as they are read, so memory stays flat), with entity resolution off, no network, and
libxml2's default limits (``huge_tree`` off: no nesting over 256 levels, no row of about 10
MB). A document with a ``<!DOCTYPE>`` is refused before any row is mapped (real dumps never
have a DTD; libxml2 still expands internal entities inside attribute values, so this check is
what keeps them out), and libxml2 itself refuses entity amplification and external entities in
attributes; external DTDs and parameter entities are never loaded.
Malformed XML (truncated file, invalid UTF-8, a wrong root element) stops the import with a
:class:`HostileInputError`; rows read before the fault are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from lxml import etree

from groundswell.errors import HostileInputError, RecordError
from groundswell.sources.base import (
    Importer,
    ReadContext,
    Record,
    Reject,
    SourceInfo,
    excerpt,
    int_or_none,
    parse_safely,
)
from groundswell.sources.html import html_to_text
from groundswell.sources.timeparse import from_iso

POST_TYPES = {
    "1": "question",
    "2": "answer",
    "3": "orphaned_tag_wiki",
    "4": "tag_wiki_excerpt",
    "5": "tag_wiki",
    "6": "moderator_nomination",
    "7": "wiki_placeholder",
    "8": "privilege_wiki",
}
# Attributes that go to ``extra`` as integers / as given (snake_case keys).
EXTRA_INTS = {
    "AcceptedAnswerId": "accepted_answer_id",
    "CommentCount": "comment_count",
    "FavoriteCount": "favorite_count",
    "LastEditorUserId": "last_editor_user_id",
}
EXTRA_TEXT = {
    "ContentLicense": "license",
    "ClosedDate": "closed_date",
    "CommunityOwnedDate": "community_owned_date",
    "LastActivityDate": "last_activity_date",
    "LastEditorDisplayName": "last_editor_display_name",
}
TITLE_CACHE = 100_000  # question titles remembered for the answers that follow them
_HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", re.IGNORECASE)
_POSITION = re.compile(r", line \d+, column \d+$")
_ARCHIVE_NAME = re.compile(r"^(.+?)-Posts\b", re.IGNORECASE)  # stackoverflow.com-Posts.xml


def site_name(path: Path) -> str:
    """The site a dump file belongs to: ``stackoverflow.com-Posts.xml`` names it, otherwise
    the directory the archive was unpacked into (``datascience.stackexchange.com/Posts.xml``)."""
    m = _ARCHIVE_NAME.match(path.name)
    if m:
        return m.group(1)
    return path.resolve().parent.name or path.name.split(".")[0]


def split_tags(value: str | None) -> list[str] | None:
    """``<python><sql>`` or ``|python|sql|`` to ``["python", "sql"]``."""
    if not value:
        return None
    v = value.strip()
    if v.startswith("<") and v.endswith(">"):
        tags = v[1:-1].split("><")
    elif "|" in v:
        tags = v.strip("|").split("|")
    else:
        tags = v.split()
    return [t for t in tags if t] or None


def _int(value: str | None, field: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return int_or_none(value, field)  # raises RecordError naming the field and value


def _time(value: str | None, field: str) -> int:
    if not value:
        raise RecordError(f"missing {field}")
    try:
        return from_iso(value, "UTC")[0]
    except RecordError:
        raise RecordError(f"{field} {value[:40]!r} is not an ISO 8601 time") from None


class StackExchangeImporter(Importer):
    name = "stackexchange"
    version = "1"
    description = "Stack Exchange data dump Posts.xml (questions, answers, wiki posts), streamed."

    def read(self, path: Path, ctx: ReadContext) -> Iterator[Record | Reject]:
        opts = self.options
        site = opts.source or site_name(path)
        url = opts.url or (f"https://{site}" if _HOST.match(site) else None)
        self.source = SourceInfo("stackexchange", site, url, opts.network, "UTC")
        self.retrieved = _time(opts.retrieved_at, "retrieved_at") if opts.retrieved_at else None
        self.titles: dict[str, str] = {}
        handle = ctx.open(path)
        parser = etree.XMLPullParser(
            events=("end",),
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            remove_comments=True,
            remove_pis=True,
        )
        events = _elements(parser, handle.stream)
        rows = 0
        limit = ctx.settings.max_record_bytes
        checked = False
        try:
            for elem in events:
                if not checked:
                    _check_document(elem, path)
                    checked = True
                parent = elem.getparent()
                if parent is None or parent.getparent() is not None:
                    continue  # the root's end, or an element nested in a row (cleared with it)
                if elem.tag == "row":
                    rows += 1
                    attrs = dict(elem.attrib)
                    size = len(attrs.get("Body") or "")
                    if size > limit:
                        yield Reject(
                            f"row {rows}",
                            f"Body of {size:,} characters exceeds the "
                            f"{ctx.settings.max_record_mb:g} MB record limit",
                            excerpt({k: v[:200] for k, v in attrs.items()}),
                        )
                    else:
                        yield from parse_safely(self.parse, attrs, f"row {rows}")
                elem.clear()
                while elem.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as e:
            where = f"line {e.position[0]}, column {e.position[1]}" if e.lineno else None
            raise HostileInputError(
                f"malformed or truncated XML after {rows:,} rows: {_POSITION.sub('', e.msg)}",
                path=str(path),
                location=where,
                hint="rows before the fault were imported; re-extract the dump and import again",
            ) from None
        if not checked:
            raise HostileInputError("no XML element found: not a Posts.xml", path=str(path))

    def parse(self, attrs: dict[str, str], loc: str) -> Record:
        get = attrs.get
        native = get("Id")
        if not native:
            raise RecordError("missing Id")
        if not native.isdigit():
            raise RecordError(f"Id {native[:40]!r} is not a number")
        ptype = get("PostTypeId") or ""
        kind = POST_TYPES.get(ptype)
        if kind is None:
            if not ptype.isdigit():
                raise RecordError(f"PostTypeId {ptype[:20]!r} is not a number")
            kind = f"post_type_{ptype}"
        parent = get("ParentId") or None
        title = get("Title") or None
        if kind == "question" and title:
            titles = self.titles
            if len(titles) >= TITLE_CACHE:
                del titles[next(iter(titles))]
            titles[native] = title
            thread_title: str | None = title
        else:
            thread_title = self.titles.get(parent) if parent else None
        body = html_to_text((get("Body") or "").replace("\x00", ""))
        extra: dict[str, Any] = {}
        for attr, key in EXTRA_INTS.items():
            v = get(attr)
            if v:
                extra[key] = _int(v, attr)
        for attr, key in EXTRA_TEXT.items():
            v = get(attr)
            if v:
                extra[key] = v
        edited = get("LastEditDate")
        return {
            "source": self.source,
            "native_id": native,
            "kind": kind,
            "parent_id": parent,
            "thread_id": parent or native,
            "thread_title": thread_title,
            "title": title,
            "time": _time(get("CreationDate"), "CreationDate"),
            "edited_at": _time(edited, "LastEditDate") if edited else None,
            "author_id": get("OwnerUserId") or None,
            "author_name": get("OwnerDisplayName") or None,
            "text": body.text,
            "quotes": body.quotes or None,
            "quoted_ids": body.quoted_ids or None,
            "links": body.links or None,
            "tags": split_tags(get("Tags")),
            "score": _int(get("Score"), "Score"),
            "views": _int(get("ViewCount"), "ViewCount"),
            "replies": _int(get("AnswerCount"), "AnswerCount"),
            "extra": orjson.dumps(extra).decode() if extra else None,
            "retrieved_at": self.retrieved,
        }


def _check_document(elem: Any, path: Path) -> None:
    """Refuse what is not a Posts.xml, and any document with a DTD (internal or external)."""
    tree = elem.getroottree()
    info = tree.docinfo
    if info.doctype or info.system_url or info.internalDTD is not None:
        raise HostileInputError(
            f"the XML has a document type declaration ({(info.doctype or 'DTD')[:60]}); "
            "Stack Exchange dumps never do, and entities it declares would be expanded into "
            "the rows, so the file is refused",
            path=str(path),
        )
    root = tree.getroot()
    if root.tag != "posts":
        raise HostileInputError(
            f"not a Stack Exchange Posts.xml: the root element is <{root.tag}>, expected <posts>",
            path=str(path),
            hint="only Posts.xml holds posts; Comments.xml, Users.xml and the "
            "other files of the dump are not read by this importer",
        )


def _elements(parser: Any, stream: Any) -> Iterator[Any]:
    """The elements ``parser`` ends while fed ``stream``; on a fault, the elements completed
    before it are still delivered, then the error is raised (``iterparse`` drops those of
    the chunk that holds the fault)."""
    while True:
        chunk = stream.read(1 << 16)
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except etree.XMLSyntaxError:
            for _, elem in parser.read_events():
                yield elem
            raise
        for _, elem in parser.read_events():
            yield elem
        if not chunk:
            return
