"""Imageboard threads in the 4chan API layout (importer ``imageboard``).

``imageboard/<board>/thread/<no>.json`` holds ``{"posts": [...]}``: the opening post first
(``resto`` 0, with ``sub``, ``semantic_url``, ``replies``, ``images`` and, once archived,
``archived``/``archived_on``), then replies (``resto`` = the thread number). Every post has
``no``, ``now`` (``"03/01/20(Sun)12:05:11"``, US Eastern time), ``time`` (epoch seconds),
``name`` (``Anonymous``) and ``com``: HTML with ``<br>``, quote links
``<a href="#p123" class="quotelink">&gt;&gt;123</a>`` and greentext
``<span class="quote">&gt;...</span>``, apostrophes written ``&#039;``. Posts with an image
add ``filename``, ``ext``, ``tim`` (milliseconds), ``fsize``, ``md5`` (base64), ``w``/``h`` and
thumbnail sizes. Post numbers are shared by the whole board, so they grow with time.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from typing import Any

import orjson

from groundswell.demo import text as tx
from groundswell.demo.common import DAY, DAYS, EPOCH0, Build, Clock, html_escape

BOARDS = [("ck", "recipes", 110), ("out", "weather", 50)]  # board, topic, threads at scale 1.0
GREEN = [
    "be me",
    "bake bread for the first time",
    "it actually rises",
    "mfw the crust is perfect",
    "forget the salt",
    "go hiking",
    "forecast says sun",
    "it rains all day",
]
_WD = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass
class Post:
    ts: int
    thread: int
    index: int
    no: int = 0
    rec: dict[str, Any] = field(default_factory=dict)


def _now(clock: Clock, ts: int) -> str:
    d, h, m, s, _ = clock.parts(ts)
    return (
        f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}({_WD[d.weekday()]}){h:02d}:{m:02d}:{s:02d}"
    )


def _image(rng: random.Random, post: dict[str, Any], ts: int) -> None:
    w, h = rng.choice([(1024, 768), (800, 600), (1200, 1600), (640, 480)])
    scale = 250 / max(w, h)
    post.update(
        {
            "filename": rng.choice(["IMG_", "DSC_", "photo_", ""])
            + str(rng.randrange(1000, 99999)),
            "ext": rng.choice([".jpg", ".jpg", ".png"]),
            "w": w,
            "h": h,
            "tn_w": int(w * scale),
            "tn_h": int(h * scale),
            "tim": ts * 1000 + rng.randrange(1000),
            "md5": base64.b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode(),
            "fsize": rng.randrange(30_000, 3_000_000),
        }
    )


def write_imageboard(b: Build) -> dict[str, Any]:
    rng = b.rng("imageboard")
    clock = Clock("America/New_York")
    out: dict[str, Any] = {}
    for board, topic, full in BOARDS:
        threads: list[list[Post]] = []
        for t in range(b.n(full, minimum=2)):
            start = EPOCH0 + rng.randrange(0, (DAYS - 4) * DAY)
            n = min(int(rng.expovariate(1 / 35)) + 1, 300)
            times = sorted(start + int(rng.expovariate(1 / 20_000)) + 20 for _ in range(n))
            threads.append([Post(start, t, 0)] + [Post(x, t, i + 1) for i, x in enumerate(times)])
        posts = sorted((p for th in threads for p in th), key=lambda p: (p.ts, p.thread, p.index))
        no = {"ck": 11_204_000, "out": 1_730_500}[board]
        for p in posts:
            no += rng.randint(1, 40)  # other threads of the board take numbers in between
            p.no = no
        files = {}
        for th in threads:
            op = th[0]
            th.sort(key=lambda p: p.index)
            recs = []
            for p in th:
                lines: list[str] = []
                if p.index and rng.random() < 0.35:
                    q = rng.choice(th[max(0, p.index - 6) : p.index])
                    lines.append(f'<a href="#p{q.no}" class="quotelink">&gt;&gt;{q.no}</a>')
                if rng.random() < 0.12:
                    for g in rng.sample(GREEN, rng.randint(1, 3)):
                        lines.append(f'<span class="quote">&gt;{html_escape(g)}</span>')
                lines.append(
                    html_escape(
                        tx.paragraph(rng, "en", rng.randint(1, 2), topic)
                        if rng.random() < 0.7
                        else tx.reply(rng, "en")
                    )
                )
                rec: dict[str, Any] = {"no": p.no, "now": _now(clock, p.ts), "name": "Anonymous"}
                if p.index == 0:
                    rec["sub"] = tx.title(rng, "en")
                rec["com"] = "<br>".join(lines)
                if p.index == 0 or rng.random() < 0.2:
                    _image(rng, rec, p.ts)
                rec.update({"time": p.ts, "resto": 0 if p.index == 0 else op.no})
                recs.append(rec)
            first = recs[0]
            first.update(
                {
                    "bumplimit": 0,
                    "imagelimit": 0,
                    "semantic_url": first["sub"].lower().replace(" ", "-").strip("?!"),
                    "replies": len(recs) - 1,
                    "images": sum(1 for r in recs[1:] if "tim" in r),
                    "unique_ips": max(1, len(recs) // 2),
                }
            )
            last = max(r["time"] for r in recs)
            first.update({"archived": 1, "archived_on": last + 3 * 3600})
            path = b.out / "imageboard" / board / "thread" / f"{op.no}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(orjson.dumps({"posts": recs}))
            b.add(path, "imageboard", len(recs), {"source": board, "platform": "4chan"})
            files[f"imageboard/{board}/thread/{op.no}.json"] = len(recs)
        out[board] = {"threads": len(threads), "posts": sum(files.values()), "files": files}
    b.say(
        f"imageboard: {sum(v['threads'] for v in out.values())} threads, "
        f"{sum(v['posts'] for v in out.values()):,} posts"
    )
    return out
