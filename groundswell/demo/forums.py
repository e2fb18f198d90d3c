"""Forum scrapes as JSON lines (importer ``forum``): one post per line, phpBB-style fields.

Each line: ``site``, ``site_url``, ``board``, ``thread_id``, ``thread_title``, ``post_id``,
``post_number``, ``author``, ``author_id``, ``date`` (the raw date string the forum shows, phpBB
default format ``"Wed Apr 22, 2020 5:05 pm"``, in the forum's local timezone), ``body_html``
(``<p>``, ``<br>``, ``<a href class="postlink">``, phpBB quotes
``<blockquote><div><cite>NAME wrote: <a href="./viewtopic.php?p=ID#pID" data-post-id="ID">↑</a>
</cite>...</div></blockquote>``), ``tags`` (moderator labels), ``url`` and ``scraped_at``.

Three forums: Lantern Hall (Tor; all seven boards; the file-sharing index, outages and most
returning members), Polder Makers (clearnet hobby forum) and Harbour Lights (clearnet, closed
in September 2019; home of the look-alike user name).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from groundswell.demo import scenario as sc
from groundswell.demo import text as tx
from groundswell.demo.authors import Member, Members
from groundswell.demo.common import (
    B32,
    DATES,
    DAY,
    END,
    HOUR,
    ISO_DAY,
    MONTH,
    START,
    Build,
    Clock,
    day_epoch,
    day_index,
    daily_count,
    di,
    html_escape,
    iso_z,
    iso_z_fast,
    safe_time,
    times_on_day,
    utc_date,
)


@dataclass(frozen=True)
class Board:
    name: str
    lang: str
    rate: float  # posts per day at scale 1.0
    new_thread: float  # share of posts that open a thread
    topic: str | None = None


@dataclass
class ForumSpec:
    key: str
    name: str
    url: str
    network: str
    tz: str
    offset_h: int  # rough UTC offset, for the shape of the day
    boards: list[Board]
    first: date
    last: date
    core: int
    occasional: int
    langs: list[tuple[str, float]]
    post0: int
    topic0: int


def _onion(rng: random.Random) -> str:
    return "http://" + "".join(rng.choice(B32) for _ in range(56)) + ".onion"


def specs(b: Build) -> list[ForumSpec]:
    rng = b.rng("forum-urls")
    chat = [("en", 0.5), ("nl", 0.15), ("ru", 0.15), ("id", 0.1), ("zh", 0.1)]
    return [
        ForumSpec("lantern", "Lantern Hall", _onion(rng), "tor", "Europe/Amsterdam", 1, [
            Board("General chat", "en", 40, 0.10),
            Board("Russian chat", "ru", 14, 0.10),
            Board("Dutch chat", "nl", 11, 0.10),
            Board("Indonesian chat", "id", 8, 0.12),
            Board("Chinese chat", "zh", 8, 0.12),
            Board("Help desk", "en", 12, 0.30, "tech"),
        ], START, END, 30, 1500, chat, 104_211, 8_100),
        ForumSpec("polder", "Polder Makers", "https://poldermakers.example", "clearnet",
                  "Europe/Amsterdam", 1, [
                      Board("General chat", "en", 14, 0.10),
                      Board("Dutch chat", "nl", 14, 0.10),
                      Board("Indonesian chat", "id", 3, 0.15),
                      Board("Help desk", "en", 6, 0.30, "tech"),
                  ], START, END, 16, 500, [("en", 0.45), ("nl", 0.45), ("id", 0.1)],
                  52_007, 3_300),
        ForumSpec("harbour", "Harbour Lights", "https://harbourlights.example", "clearnet",
                  "Asia/Jakarta", 7, [
                      Board("General chat", "en", 30, 0.10),
                      Board("Indonesian chat", "id", 14, 0.10),
                      Board("Chinese chat", "zh", 6, 0.12),
                      Board("Help desk", "en", 6, 0.30, "tech"),
                  ], START, date(2019, 9, 14), 20, 700,
                  [("en", 0.5), ("id", 0.35), ("zh", 0.15)], 310_450, 21_020),
    ]


# ---- events: what happens when, before ids and threads are assigned ----------------------------
@dataclass
class Event:
    ts: int
    seq: int
    board: str
    kind: str  # chat | upload | more | linkchat | thanks | reupload | notice | returner
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class PostRef:
    post_id: int
    author: str
    own_html: str
    jpg: int  # .jpg links in its own text
    wave: bool


@dataclass
class Thread:
    tid: int
    title: str
    board: str
    posts: list[PostRef] = field(default_factory=list)
    count: int = 0  # posts so far (post_number of the latest)
    major: str | None = None  # a major host its links point to


def _in_outage(ts: int, windows: list[tuple[int, int]]) -> bool:
    return any(a <= ts < b for a, b in windows)


class ForumWriter:
    def __init__(self, b: Build, spec: ForumSpec) -> None:
        self.b = b
        self.s = spec
        self.rng = b.rng(f"forum:{spec.key}")
        self.clock = Clock(spec.tz)
        self.outages = sc.outage_windows() if spec.key == "lantern" else []
        self.events: list[Event] = []
        self.seq = 0
        # ground-truth tallies
        self.wave_month: Counter[str] = Counter()
        self.wave_day: Counter[str] = Counter()
        self.wave_quote_only: Counter[str] = Counter()
        self.links: dict[str, Counter[str]] = defaultdict(Counter)  # "jpg"/"png"/"zip" by month
        self.jpg_day: Counter[str] = Counter()
        self.jpg_board: Counter[str] = Counter()
        self.host_month: dict[str, Counter[str]] = defaultdict(Counter)
        self.host_first: dict[str, str] = {}
        self.host_last: dict[str, str] = {}
        self.quoted_jpg: Counter[str] = Counter()
        self.openers: Counter[str] = Counter()
        self.originals: Counter[str] = Counter()
        self.reuploads: Counter[str] = Counter()
        self.notices: list[dict[str, str]] = []
        self.returner_posts: dict[str, list[int]] = defaultdict(list)

    def ev(self, ts: int, board: str, kind: str, **data: Any) -> None:
        self.seq += 1
        self.events.append(Event(ts, self.seq, board, kind, data))

    # -- scheduling ----------------------------------------------------------------------------
    def schedule_chat(self) -> None:
        s, rng = self.s, self.rng
        d = s.first
        while d <= s.last:
            for board in s.boards:
                n = daily_count(rng, board.rate * self.b.scale, d)
                for ts in times_on_day(rng, d, n, s.offset_h, minute=True):
                    # a naive local time in the repeated hour at the end of summer time would
                    # be ambiguous (importers read it as the first pass): move it on an hour
                    if self.clock.folded(ts):
                        ts += HOUR
                    if not _in_outage(ts, self.outages):
                        self.ev(ts, board.name, "chat")
            d += timedelta(days=1)

    def _upload_day(self, month: str) -> date:
        rng = self.rng
        y, m = int(month[:4]), int(month[5:])
        first = date(y, m, 1)
        nxt = date(y + m // 12, m % 12 + 1, 1)
        while True:
            d = first + timedelta(days=rng.randrange((nxt - first).days))
            if not _in_outage(day_epoch(d) + 12 * HOUR, self.outages):
                return d

    def schedule_uploads(self) -> None:
        rng, b = self.rng, self.b
        sizes = [1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 8]
        for month, full in sc.JPG_PER_MONTH.items():
            remaining = b.n(full)
            while remaining > 0:
                k = min(remaining, rng.choice(sizes))
                remaining -= k
                d = self._upload_day(month)
                ts = safe_time(rng, d)
                r = rng.random()
                kind, board = ("upload", "Uploads") if r < 0.80 else (
                    ("more", "Uploads") if r < 0.94 else ("linkchat", "General chat"))
                self.ev(ts, board, kind, k=k)
                if kind == "upload":
                    for _ in range(rng.choice([0, 0, 1, 1, 1, 2, 3])):
                        t2 = ts + rng.randrange(10 * 60, 3 * DAY, 60)
                        if utc_date(t2) <= END:
                            t2 = safe_time(rng, utc_date(t2))
                            if not _in_outage(t2, self.outages):
                                self.ev(t2, "Uploads", "thanks")
        # re-upload requests after the two major hosts went down
        n = b.n(140, minimum=6)
        for _ in range(n):
            day = min(int(rng.expovariate(1 / 7)), 30)
            self.ev(safe_time(rng, sc.HOSTS_DOWN + timedelta(days=day)), "Uploads", "reupload")
        self.ev(safe_time(rng, sc.FAMILY_MERGE), "Uploads", "notice", what="merge")
        self.ev(safe_time(rng, date(2020, 5, 18)), "Uploads", "notice", what="approved1")
        self.ev(safe_time(rng, date(2020, 5, 25)), "Uploads", "notice", what="approved2")

    def schedule_returners(self) -> None:
        rng = self.rng
        for r in sc.RETURNERS:
            if r.forum != self.s.key:
                continue
            board = "Dutch chat" if r.lang == "nl" and self._has("Dutch chat") else "General chat"
            after_end = min(END, r.back + timedelta(days=150))
            days = [r.first, r.last_before, r.back]
            days += [self._free_day(r.first, r.last_before) for _ in range(r.posts_before - 2)]
            days += [self._free_day(r.back, after_end) for _ in range(r.posts_after - 1)]
            for d in days:
                ts = safe_time(rng, d)
                assert not _in_outage(ts, self.outages), (r.name, d)
                self.ev(ts, board, "returner", who=r)

    def _free_day(self, lo: date, hi: date) -> date:
        """A day strictly between ``lo`` and ``hi`` that is not an outage day."""
        while True:
            d = lo + timedelta(days=self.rng.randrange(1, (hi - lo).days))
            if not _in_outage(day_epoch(d) + 12 * HOUR, self.outages):
                return d

    def _has(self, board: str) -> bool:
        return any(x.name == board for x in self.s.boards)

    # -- writing -------------------------------------------------------------------------------
    def write(self) -> int:
        s, b, rng = self.s, self.b, self.rng
        self.schedule_chat()
        if s.key == "lantern":
            self.schedule_uploads()
        self.schedule_returners()
        self.events.sort(key=lambda e: (e.ts, e.seq))

        style = s.key
        board_langs = sorted({x.lang for x in s.boards})
        core_langs = [lang for lang in board_langs for _ in range(2)]
        n_core = max(b.n(s.core), len(core_langs))
        names = tx.make_names(rng, style, n_core + b.n(s.occasional, minimum=12),
                              taken=[r.name for r in sc.RETURNERS])
        if s.key == "harbour":
            names = [sc.LOOKALIKE["name"], *names[:-1]]
        lo, hi = day_index(s.first), day_index(s.last)
        mine = [r for r in sc.RETURNERS if r.forum == s.key]
        returner_ids = {r.name: 2 + i for i, r in enumerate(mine)}
        members = Members(rng, names, s.langs, (lo, hi), n_core, uid0=2 + len(mine),
                          core_langs=core_langs)
        by_lang = {x.name: x for x in s.boards}
        mods = members.core[:2]

        threads: dict[str, list[Thread]] = defaultdict(list)
        major_threads: list[Thread] = []
        out: list[bytes] = []
        post_id, topic_id = s.post0, s.topic0
        crawl_hm = 3 * HOUR + 30 * 60

        for e in self.events:
            day = di(e.ts)
            d = DATES[day]
            month = MONTH[day]
            post_id += 1 if rng.random() < 0.93 else rng.randint(2, 4)  # deleted posts leave gaps
            board = by_lang.get(e.board)
            lang = board.lang if board else "en"
            tags: list[str] = []
            jpg = 0
            wave = False
            quote: PostRef | None = None
            own: list[str] = []

            # who writes it
            if e.kind == "returner":
                r: sc.Returner = e.data["who"]
                author: Member | None = None
                a_name, a_id = r.name, returner_ids[r.name]
                lang = r.lang
                self.returner_posts[r.name].append(e.ts)
            elif e.kind == "notice":
                author = mods[0]
                a_name, a_id = author.name, author.uid
            else:
                author = members.pick(day, lang)
                a_name, a_id = author.name, author.uid

            # which thread
            pool = threads[e.board]
            opens = (e.kind == "upload" or e.kind == "notice" or not pool
                     or (e.kind in ("chat", "returner") and board is not None
                         and rng.random() < board.new_thread))
            if e.kind == "reupload" and major_threads:
                th = major_threads[-1 - min(int(rng.expovariate(0.08)), len(major_threads) - 1)]
                opens = False
            elif opens:
                topic_id += 1 if rng.random() < 0.9 else 2
                th = Thread(topic_id, self._title(e, lang), e.board)
                pool.append(th)
                if len(pool) > 60:
                    del pool[:20]
            else:
                th = pool[-1 - min(int(rng.expovariate(0.3)), len(pool) - 1)]

            # what it says
            if e.kind in ("upload", "more", "linkchat"):
                jpg, body = self._links(e, day, th)
                own.extend(body)
                if e.kind == "upload":
                    self.openers[month] += 1
                    r_ = rng.random()
                    if r_ < 0.35:
                        tags = ["Original"]
                        self.originals[month] += 1
                    elif r_ < 0.45:
                        tags = ["Repost"]
            elif e.kind == "thanks":
                if th.posts and th.posts[0].jpg and rng.random() < 0.3:
                    quote = th.posts[0]
                    self.quoted_jpg[month] += quote.jpg
                own.append(_p(tx.reply(rng, "en") + " " + rng.choice(THANKS)))
            elif e.kind == "reupload":
                own.append(_p(rng.choice(REUPLOAD).format(host=th.major or "imgdrop.example")))
                self.reuploads[ISO_DAY[day]] += 1
            elif e.kind == "notice":
                text = NOTICES[e.data["what"]]
                own.append(_p(text))
                self.notices.append({"date": ISO_DAY[day], "post_id": str(post_id),
                                     "text": text})
                tags = ["Announcement"]
            else:
                topic = board.topic if board else None
                if opens or rng.random() < 0.7:
                    own.append(_p(tx.paragraph(rng, lang, rng.randint(1, 4), topic)))
                else:
                    own.append(_p(tx.reply(rng, lang)))
                if rng.random() < 0.06:
                    url = tx.page_link(rng)
                    own.append(f'<p><a href="{url}" class="postlink">{url}</a></p>')
                if sc.wave_hit(rng, e.ts, d):
                    wave = True
                    own.insert(rng.randrange(len(own) + 1), _p(tx.wave_sentence(rng, lang)))
                    self.wave_month[month] += 1
                    self.wave_day[ISO_DAY[day]] += 1
                if th.posts and rng.random() < 0.08:
                    cand = th.posts[-1 - min(int(rng.expovariate(0.7)), len(th.posts) - 1)]
                    if not cand.jpg:
                        quote = cand
                        if cand.wave and not wave:
                            self.wave_quote_only[month] += 1

            own_html = "".join(own)
            if quote is not None:
                q = quote.post_id
                body_html = (f"<blockquote><div><cite>{html_escape(quote.author)} wrote: "
                             f'<a href="./viewtopic.php?p={q}#p{q}" data-post-id="{q}">↑</a>'
                             f"</cite>{quote.own_html}</div></blockquote>{own_html}")
            else:
                body_html = own_html
            ref = PostRef(post_id, a_name, own_html, jpg, wave)
            th.posts.append(ref)
            th.count += 1
            if len(th.posts) > 40:
                del th.posts[1:11]  # keep the opener and the recent posts
            if e.kind == "upload" and th.major and (not major_threads or major_threads[-1] is not th):
                major_threads.append(th)
                if len(major_threads) > 400:
                    del major_threads[:100]

            # when the crawler saw it
            crawl = day_epoch(DATES[di(e.ts + HOUR)]) + crawl_hm
            if crawl < e.ts + HOUR:
                crawl += DAY
            while _in_outage(crawl, self.outages):
                crawl += DAY
            ld, lh, lm, _, _ = self.clock.parts(e.ts)
            out.append(orjson.dumps({
                "site": s.name,
                "site_url": s.url,
                "board": e.board,
                "thread_id": th.tid,
                "thread_title": th.title,
                "post_id": post_id,
                "post_number": th.count,
                "author": a_name,
                "author_id": a_id,
                "date": _phpbb_date(ld, lh, lm),
                "body_html": body_html,
                "tags": tags,
                "url": f"{s.url}/viewtopic.php?t={th.tid}&p={post_id}#p{post_id}",
                "scraped_at": iso_z_fast(crawl + rng.randrange(0, 40 * 60)),
            }))
        path = b.out / "forums" / f"{s.key}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\n".join(out) + b"\n")
        b.add(path, "forum", len(out), {"source": s.name, "platform": "forum", "url": s.url,
                                        "network": s.network, "timezone": s.tz,
                                        "retrieved_at": None})
        b.say(f"forum {s.name}: {len(out):,} posts")
        return len(out)

    def _title(self, e: Event, lang: str) -> str:
        rng = self.rng
        if e.kind == "upload":
            return f"[Set] {rng.choice(SET_SUBJECTS)} ({e.data['k']} pics)"
        if e.kind == "notice":
            return NOTICE_TITLES[e.data["what"]]
        return tx.title(rng, lang)

    def _links(self, e: Event, day: int, th: Thread) -> tuple[int, list[str]]:
        rng = self.rng
        d = DATES[day]
        k = e.data["k"]
        live, weights = sc.hosts_on(d)
        host = rng.choices(live, weights)[0]
        urls = [_url(rng, host.url, d) for _ in range(k)]
        month = MONTH[day]
        self.links["jpg"][month] += k
        self.jpg_day[ISO_DAY[day]] += k
        self.jpg_board[e.board] += k
        self.host_month[host.domain][month] += k
        self.host_first.setdefault(host.domain, ISO_DAY[day])
        self.host_last[host.domain] = ISO_DAY[day]
        if host.domain in sc.MAJOR_HOSTS and e.kind == "upload":
            th.major = host.domain
        extra = []
        if rng.random() < 0.08:
            extra.append(_url(rng, host.url, d).replace(".jpg", ".png"))
            self.links["png"][month] += 1
        if rng.random() < 0.10:
            extra.append(_url(rng, sc.ZIP_URL, d))
            self.links["zip"][month] += 1
        lead = rng.choice(LEADS[e.kind])
        anchors = "<br>".join(f'<a href="{u}" class="postlink">{u}</a>' for u in urls + extra)
        return k, [_p(lead), f"<p>{anchors}</p>"]

    def truth(self) -> dict[str, Any]:
        return {
            "wave_month": dict(sorted(self.wave_month.items())),
            "wave_day": dict(sorted(self.wave_day.items())),
            "wave_quote_only": dict(sorted(self.wave_quote_only.items())),
        }


def _p(text: str) -> str:
    return "<p>" + html_escape(text) + "</p>"


def code(rng: random.Random, n: int = 7) -> str:
    """A random short id in the style of file hosts (base 56, no look-alike characters)."""
    x = rng.getrandbits(6 * n)
    out = []
    for _ in range(n):
        x, r = divmod(x, 56)
        out.append(_CODE[r])
    return "".join(out)


_CODE = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _url(rng: random.Random, template: str, d: date) -> str:
    code_ = code(rng)
    name = rng.choice(FILE_NAMES) + f"_{rng.randrange(1, 60):02d}"
    return template.format(code=code_, yyyy=d.year, mm=f"{d.month:02d}", name=name)


_WD = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _phpbb_date(d: date, hour: int, minute: int) -> str:
    """phpBB's default ``D M d, Y g:i a``: ``Wed Apr 22, 2020 5:05 pm``."""
    h12 = hour % 12 or 12
    return (f"{_WD[d.weekday()]} {_MON[d.month - 1]} {d.day:02d}, {d.year} "
            f"{h12}:{minute:02d} {'am' if hour < 12 else 'pm'}")


SET_SUBJECTS = ["Misty harbour mornings", "Autumn forest walk", "Old trams of the city",
                "Sunset over the dunes", "Tulip fields", "Street cats", "Lighthouse trip",
                "Rainy window studies", "Mountain lake", "Market stalls", "Snowy park",
                "Vintage bicycles", "Cloud formations", "Garden birds", "Night skyline"]
FILE_NAMES = ["IMG", "DSC", "photo", "scan", "pic", "P"]
LEADS = {
    "upload": ["Some shots from last weekend.", "My own photos, enjoy.",
               "Finally sorted this set.", "Scanned these from old prints.",
               "Took these on a long walk."],
    "more": ["A few more from the same trip.", "Part two of the set.", "Found some extras."],
    "linkchat": ["Here are the pictures I mentioned.", "Photos from the meetup.",
                 "The view from my window today."],
}
THANKS = ["Lovely set.", "Great colours.", "Thanks for sharing.", "The third one is my favourite.",
          "More please!"]
REUPLOAD = [
    "The {host} links in this thread are dead, could someone reupload?",
    "Reupload please? {host} is gone.",
    "Any chance of a re-upload on another host? {host} links do not work anymore.",
    "{host} went down, would love a reupload of this set.",
]
NOTICE_TITLES = {"merge": "Host news: pixa sites merged", "approved1": "Approved hosts (update)",
                 "approved2": "Approved hosts (update 2)"}
NOTICES = {
    "merge": "pixa-one.example, pixa-two.example and pixa-three.example are now one site: "
             "pixaverse.example. Old links will not be fixed, please post new ones there.",
    "approved1": "imgdrop.example and picbox.example are down for good. Approved host from "
                 "now on: fotoflux.example.",
    "approved2": "Added imgnest.example to the approved hosts list.",
}


def write_forums(b: Build) -> dict[str, Any]:
    """Write the three forum files and return their ground truth."""
    truth: dict[str, Any] = {"forums": {}}
    for spec in specs(b):
        w = ForumWriter(b, spec)
        records = w.write()
        f = truth["forums"][spec.key] = {
            "name": spec.name, "file": f"forums/{spec.key}.jsonl", "site_url": spec.url,
            "network": spec.network, "timezone": spec.tz, "records": records,
            "first_day": spec.first.isoformat(), "last_day": spec.last.isoformat(),
            "boards": [x.name for x in spec.boards] + (["Uploads"] if spec.key == "lantern" else []),
            **w.truth(),
        }
        if spec.key == "lantern":
            f["file_sharing"] = {
                "jpg_links_per_month": dict(sorted(w.links["jpg"].items())),
                "png_links_per_month": dict(sorted(w.links["png"].items())),
                "zip_links_per_month": dict(sorted(w.links["zip"].items())),
                "jpg_links_per_day": dict(sorted(w.jpg_day.items())),
                "jpg_links_by_board": dict(sorted(w.jpg_board.items())),
                "jpg_links_per_host_month": {h: dict(sorted(c.items()))
                                             for h, c in sorted(w.host_month.items())},
                "host_first_day": dict(sorted(w.host_first.items())),
                "host_last_day": dict(sorted(w.host_last.items())),
                "quoted_jpg_links_per_month": dict(sorted(w.quoted_jpg.items())),
                "upload_threads_per_month": dict(sorted(w.openers.items())),
                "original_tagged_per_month": dict(sorted(w.originals.items())),
                "reupload_requests_per_day": dict(sorted(w.reuploads.items())),
                "notices": w.notices,
            }
        f["returner_post_times"] = {k: [iso_z(t) for t in sorted(v)]
                                    for k, v in sorted(w.returner_posts.items())}
    return truth
