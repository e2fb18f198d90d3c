"""Streaming large single-document JSON (chat exports, imageboard indexes) and small helpers
shared by the JSON importers.

:func:`stream_json` walks ijson's low-level event stream and builds one target item at a time,
skipping everything else unbuilt; an item deeper than ``MAX_DEPTH`` or larger than the record
limit comes back as :class:`Oversized` (its reason and an excerpt), never held whole. ijson's
``items``/``parse`` build a path string per event, whose cost grows with nesting depth; this
does not.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from groundswell.errors import HostileInputError
from groundswell.sources.base import ReadContext, excerpt

MAX_DEPTH = 64


@dataclass(frozen=True)
class Oversized:
    """A value that was skipped, not built: too deep or too large. Never holds the value."""

    reason: str
    excerpt: str


def stream_json(
    stream: IO[bytes],
    targets: Collection[tuple[str, ...]],
    *,
    max_bytes: int,
    max_depth: int = MAX_DEPTH,
) -> Iterator[tuple[tuple[str, ...], int, Any]]:
    """Yield ``(position, index, value)`` for each value of one JSON document at ``targets``.

    A position is the tuple of keys leading to a value, ``"*"`` standing for any array item:
    ``("messages", "*")`` is every message. ``index`` is the value's place in its array (0 when
    it is not in one). Values at a target are built one at a time; a value nested deeper than
    ``max_depth`` or larger than about ``max_bytes`` is skipped and yielded as
    :class:`Oversized`. Everything else is skipped without being built.

    Uses ijson's ``basic_parse``, whose events carry no path: ijson's ``parse``/``items``
    build a prefix string per event, which costs quadratic memory on deeply nested input.
    Raises ijson's ``JSONError`` on malformed JSON; callers turn it into HostileInputError.
    """
    want = {tuple(t) for t in targets}
    inside = {t[:i] for t in want for i in range(len(t))}  # containers that may hold a target
    events = ijson.basic_parse(stream, use_float=True)
    # one frame per open container on the way to a target: [key or "*", item index, is_array]
    frames: list[list[Any]] = []
    for event, value in events:
        if event == "map_key":
            frames[-1][0] = value
            continue
        if event == "end_map" or event == "end_array":
            frames.pop()
            continue
        index = 0
        if frames:
            top = frames[-1]
            if top[2]:
                top[1] += 1
                index = top[1]
            pos = tuple(f[0] for f in frames)
        else:
            pos = ()
        opens = event == "start_map" or event == "start_array"
        if pos in want:
            yield pos, index, _build(events, event, max_depth, max_bytes) if opens else value
        elif opens:
            if pos in inside:
                is_array = event == "start_array"
                frames.append(["*" if is_array else None, -1, is_array])
            else:
                _skip(events, 1)


def _skip(events: Iterator[tuple[str, Any]], depth: int) -> None:
    """Consume events until ``depth`` open containers have closed."""
    for event, _ in events:
        if event == "start_map" or event == "start_array":
            depth += 1
        elif event == "end_map" or event == "end_array":
            depth -= 1
            if depth == 0:
                return


def _build(events: Iterator[tuple[str, Any]], first: str, max_depth: int, max_bytes: int) -> Any:
    """Build the container opened by ``first`` from the following events, within bounds."""
    root: Any = {} if first == "start_map" else []
    stack: list[Any] = [root]
    keys: list[Any] = []
    parent: Any = root
    is_map = first == "start_map"
    key: Any = None
    size = 2
    for event, value in events:  # ordered by frequency; this loop is the importer's hot path
        if event == "map_key":
            key = value
            size += len(value)
            continue
        if event == "string":
            size += len(value)
            if is_map:
                parent[key] = value
            else:
                parent.append(value)
        elif event == "number" or event == "boolean" or event == "null":
            if is_map:
                parent[key] = value
            else:
                parent.append(value)
        elif event == "end_map" or event == "end_array":
            stack.pop()
            if not stack:
                return root
            key = keys.pop()
            parent = stack[-1]
            is_map = type(parent) is dict
            continue
        else:  # start_map, start_array
            item: Any = {} if event == "start_map" else []
            if is_map:
                parent[key] = item
            else:
                parent.append(item)
            keys.append(key)
            stack.append(item)
            parent = item
            is_map = event == "start_map"
            if len(stack) > max_depth:
                text = excerpt(root)
                _skip(events, len(stack))
                return Oversized(f"JSON nested more than {max_depth} levels deep", text)
        size += 6
        if size > max_bytes:
            text = excerpt(root)
            _skip(events, len(stack))
            return Oversized(
                f"record of over {max_bytes:,} bytes exceeds the record size limit", text
            )
    raise ijson.IncompleteJSONError("premature EOF")


def open_json(path: Path, ctx: ReadContext) -> IO[bytes]:
    """Open ``path`` through the context and step over a UTF-8 byte-order mark."""
    stream = ctx.open(path).stream
    peek = getattr(stream, "peek", None)
    if peek is not None and peek(3)[:3] == b"\xef\xbb\xbf":
        stream.read(3)
    return stream


def json_failure(e: Exception, path: Path, where: str) -> HostileInputError:
    """A clear HostileInputError for a JSON document that cannot be read to its end."""
    raw = e.args[0] if e.args else str(e)
    msg = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else str(raw)
    first = msg.strip().splitlines()[0] if msg.strip() else type(e).__name__
    low = first.lower()
    if "premature eof" in low:
        why = "the JSON ends early: the file is truncated or still being written"
    elif "utf8" in low or "utf-8" in low or isinstance(e, UnicodeDecodeError):
        why = "invalid UTF-8 in the JSON"
    elif "trailing garbage" in low:
        why = "unexpected data after the end of the JSON document"
    else:
        why = f"malformed JSON ({first[:160]})"
    return HostileInputError(f"{why} {where}".strip(), path=str(path))


JSON_ERRORS = (ijson.JSONError, UnicodeDecodeError)

# -- shared small helpers ----------------------------------------------------------------------
_MIME = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".webm": "video/webm",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".pdf": "application/pdf",
    ".swf": "application/x-shockwave-flash",
    ".txt": "text/plain",
    ".zip": "application/zip",
}


def mime_of(name: str | None) -> str | None:
    """A mime type guessed from a file name's extension (metadata only)."""
    if not name or "." not in name:
        return None
    ext = "." + name.rsplit(".", 1)[1].lower()
    return _MIME.get(ext) or mimetypes.guess_type("x" + ext, strict=False)[0]


def scalar(value: Any) -> Any:
    """A JSON scalar kept for ``extra``; containers and odd types are dropped (None)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value.replace("\x00", "")[:2000]
    return None


def dumps_extra(extra: dict[str, Any]) -> str | None:
    """``extra`` as JSON text, without empty values (None, False, "", [], {}); None if empty."""
    kept = {
        k: v
        for k, v in extra.items()
        if not (v is None or v is False or v == "" or v == [] or v == {})
    }
    return orjson.dumps(kept).decode() if kept else None
