"""Writing a chart's Vega-Lite spec to a file, offline: SVG, PNG (at twice the pixel size,
for print), the spec as JSON, or one self-contained HTML page. Nothing is ever loaded from the
network: external data URLs in a spec are refused, and the HTML page is checked to load
nothing.

Example::

    write_chart(trend_chart(series), Path("briefing/links.png"))
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from groundswell.errors import GroundswellError

FORMATS = (".svg", ".png", ".json", ".html")
PNG_SCALE = 2


def write_chart(spec: dict[str, Any], path: Path) -> Path:
    """Write ``spec`` by ``path``'s suffix: ``.svg``, ``.png`` (at twice the pixel size, for
    print), ``.json`` (the spec itself) or ``.html`` (one self-contained page: the Vega
    libraries inlined, no network, the export/editor menu off). Rendering never loads
    anything: external data URLs in a spec are refused."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise GroundswellError(
            f"cannot write a chart as {path.name!r}",
            hint=f"use one of {', '.join(FORMATS)}",
        )
    data: bytes
    if suffix == ".json":
        data = (json.dumps(spec, indent=2, ensure_ascii=False) + "\n").encode()
    else:
        import vl_convert as vlc

        if suffix == ".svg":
            data = vlc.vegalite_to_svg(spec, allowed_base_urls=[]).encode()
        elif suffix == ".png":
            data = vlc.vegalite_to_png(spec, scale=PNG_SCALE, allowed_base_urls=[])
        else:
            data = _offline_html(vlc.vegalite_to_html(spec, bundle=True)).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


_OPTS = re.compile(r"const opts = (\{[^\n]*\})")


def _offline_html(html: str) -> str:
    """The bundled page with vega-embed's action menu off (its "open in editor" would send
    the chart's data to a website); refused if the page would load anything."""
    found = _OPTS.search(html)
    if found is None:
        raise GroundswellError("cannot write HTML: unexpected page from vl-convert")
    opts = json.loads(found.group(1))
    opts["actions"] = False
    html = html[: found.start(1)] + json.dumps(opts) + html[found.end(1) :]
    if re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=|@import|url\(\s*['\"]?https?:", html):
        raise GroundswellError("cannot write HTML: the page would load external resources")
    return html
