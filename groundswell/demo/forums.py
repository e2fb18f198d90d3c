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

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson

from groundswell.demo import forum_parts as fp
from groundswell.demo import scenario as sc
from groundswell.demo import text as tx
from groundswell.demo.authors import Member, Members
from groundswell.demo.common import (
    DATES,
    DAY,
    END,
    HOUR,
    ISO_DAY,
    MONTH,
    Build,
    Clock,
    daily_count,
    day_epoch,
    day_index,
    di,
    html_escape,
    iso_z,
    iso_z_fast,
    safe_time,
    times_on_day,
    utc_date,
)
from groundswell.demo.forum_parts import Board, ForumSpec, specs


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
                kind, board = (
                    ("upload", "Uploads")
                    if r < 0.80
                    else (("more", "Uploads") if r < 0.94 else ("linkchat", "General chat"))
                )
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
        s, b = self.s, self.b
        path = b.out / "forums" / f"{s.key}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with open(path, "wb", buffering=1 << 20) as fh:
            for rec in self.records():
                fh.write(orjson.dumps(rec))
                fh.write(b"\n")
                written += 1
        b.add(
            path,
            "forum",
            written,
            {
                "source": s.name,
                "platform": "forum",
                "url": s.url,
                "network": s.network,
                "timezone": s.tz,
            },
        )
        b.say(f"forum {s.name}: {written:,} posts")
        return written

    def records(self) -> Iterator[dict[str, Any]]:
        """Schedule everything, then yield the posts in time order."""
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
        names = tx.make_names(
            rng, style, n_core + b.n(s.occasional, minimum=12), taken=[r.name for r in sc.RETURNERS]
        )
        if s.key == "harbour":
            names = [sc.LOOKALIKE["name"], *names[:-1]]
        lo, hi = day_index(s.first), day_index(s.last)
        mine = [r for r in sc.RETURNERS if r.forum == s.key]
        returner_ids = {r.name: 2 + i for i, r in enumerate(mine)}
        members = Members(
            rng, names, s.langs, (lo, hi), n_core, uid0=2 + len(mine), core_langs=core_langs
        )
        by_lang = {x.name: x for x in s.boards}
        mods = members.core[:2]

        threads: dict[str, list[Thread]] = defaultdict(list)
        major_threads: list[Thread] = []
        post_id, topic_id = s.post0, s.topic0
        crawl_hm = 3 * HOUR + 30 * 60

        for e in self.events:
            day = di(e.ts)
            post_id += 1 if rng.random() < 0.93 else rng.randint(2, 4)  # deleted posts leave gaps
            board = by_lang.get(e.board)
            lang = board.lang if board else "en"

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
            opens = (
                e.kind == "upload"
                or e.kind == "notice"
                or not pool
                or (
                    e.kind in ("chat", "returner")
                    and board is not None
                    and rng.random() < board.new_thread
                )
            )
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
            own, jpg, tags, quote, wave = self._compose(e, th, board, lang, day, post_id, opens)
            own_html = "".join(own)
            if quote is not None:
                q = quote.post_id
                body_html = (
                    f"<blockquote><div><cite>{html_escape(quote.author)} wrote: "
                    f'<a href="./viewtopic.php?p={q}#p{q}" data-post-id="{q}">↑</a>'
                    f"</cite>{quote.own_html}</div></blockquote>{own_html}"
                )
            else:
                body_html = own_html
            ref = PostRef(post_id, a_name, own_html, jpg, wave)
            th.posts.append(ref)
            th.count += 1
            if len(th.posts) > 40:
                del th.posts[1:11]  # keep the opener and the recent posts
            if (
                e.kind == "upload"
                and th.major
                and (not major_threads or major_threads[-1] is not th)
            ):
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
            yield {
                "site": s.name,
                "site_url": s.url,
                "board": e.board,
                "thread_id": th.tid,
                "thread_title": th.title,
                "post_id": post_id,
                "post_number": th.count,
                "author": a_name,
                "author_id": a_id,
                "date": fp.phpbb_date(ld, lh, lm),
                "body_html": body_html,
                "tags": tags,
                "url": f"{s.url}/viewtopic.php?t={th.tid}&p={post_id}#p{post_id}",
                "scraped_at": iso_z_fast(crawl + rng.randrange(0, 40 * 60)),
            }

    def _compose(
        self,
        e: Event,
        th: Thread,
        board: Board | None,
        lang: str,
        day: int,
        post_id: int,
        opens: bool,
    ) -> tuple[list[str], int, list[str], PostRef | None, bool]:
        """A post's own HTML paragraphs, its .jpg link count, tags, quoted post, and whether it
        mentions the keyword wave; tallies the ground truth on the way."""
        rng = self.rng
        d, month = DATES[day], MONTH[day]
        tags: list[str] = []
        jpg = 0
        wave = False
        quote: PostRef | None = None
        own: list[str] = []
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
            own.append(fp.para(tx.reply(rng, "en") + " " + rng.choice(fp.THANKS)))
        elif e.kind == "reupload":
            own.append(fp.para(rng.choice(fp.REUPLOAD).format(host=th.major or "imgdrop.example")))
            self.reuploads[ISO_DAY[day]] += 1
        elif e.kind == "notice":
            text = fp.NOTICES[e.data["what"]]
            own.append(fp.para(text))
            self.notices.append({"date": ISO_DAY[day], "post_id": str(post_id), "text": text})
            tags = ["Announcement"]
        else:
            topic = board.topic if board else None
            if opens or rng.random() < 0.7:
                own.append(fp.para(tx.paragraph(rng, lang, rng.randint(1, 4), topic)))
            else:
                own.append(fp.para(tx.reply(rng, lang)))
            if rng.random() < 0.06:
                url = tx.page_link(rng)
                own.append(f'<p><a href="{url}" class="postlink">{url}</a></p>')
            if sc.wave_hit(rng, e.ts, d):
                wave = True
                own.insert(rng.randrange(len(own) + 1), fp.para(tx.wave_sentence(rng, lang)))
                self.wave_month[month] += 1
                self.wave_day[ISO_DAY[day]] += 1
            if th.posts and rng.random() < 0.08:
                cand = th.posts[-1 - min(int(rng.expovariate(0.7)), len(th.posts) - 1)]
                if not cand.jpg:
                    quote = cand
                    if cand.wave and not wave:
                        self.wave_quote_only[month] += 1

        return own, jpg, tags, quote, wave

    def _title(self, e: Event, lang: str) -> str:
        rng = self.rng
        if e.kind == "upload":
            return f"[Set] {rng.choice(fp.SET_SUBJECTS)} ({e.data['k']} pics)"
        if e.kind == "notice":
            return fp.NOTICE_TITLES[e.data["what"]]
        return tx.title(rng, lang)

    def _links(self, e: Event, day: int, th: Thread) -> tuple[int, list[str]]:
        rng = self.rng
        d = DATES[day]
        k = e.data["k"]
        live, weights = sc.hosts_on(d)
        host = rng.choices(live, weights)[0]
        urls = [fp.host_url(rng, host.url, d) for _ in range(k)]
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
            extra.append(fp.host_url(rng, host.url, d).replace(".jpg", ".png"))
            self.links["png"][month] += 1
        if rng.random() < 0.10:
            extra.append(fp.host_url(rng, sc.ZIP_URL, d))
            self.links["zip"][month] += 1
        lead = rng.choice(fp.LEADS[e.kind])
        anchors = "<br>".join(f'<a href="{u}" class="postlink">{u}</a>' for u in urls + extra)
        return k, [fp.para(lead), f"<p>{anchors}</p>"]

    def truth(self) -> dict[str, Any]:
        return {
            "wave_month": dict(sorted(self.wave_month.items())),
            "wave_day": dict(sorted(self.wave_day.items())),
            "wave_quote_only": dict(sorted(self.wave_quote_only.items())),
        }


def write_forums(b: Build) -> dict[str, Any]:
    """Write the three forum files and return their ground truth."""
    truth: dict[str, Any] = {"forums": {}}
    for spec in specs(b):
        w = ForumWriter(b, spec)
        records = w.write()
        f = truth["forums"][spec.key] = {
            "name": spec.name,
            "file": f"forums/{spec.key}.jsonl",
            "site_url": spec.url,
            "network": spec.network,
            "timezone": spec.tz,
            "records": records,
            "first_day": spec.first.isoformat(),
            "last_day": spec.last.isoformat(),
            "boards": [x.name for x in spec.boards]
            + (["Uploads"] if spec.key == "lantern" else []),
            **w.truth(),
        }
        if spec.key == "lantern":
            f["file_sharing"] = {
                "jpg_links_per_month": dict(sorted(w.links["jpg"].items())),
                "png_links_per_month": dict(sorted(w.links["png"].items())),
                "zip_links_per_month": dict(sorted(w.links["zip"].items())),
                "jpg_links_per_day": dict(sorted(w.jpg_day.items())),
                "jpg_links_by_board": dict(sorted(w.jpg_board.items())),
                "jpg_links_per_host_month": {
                    h: dict(sorted(c.items())) for h, c in sorted(w.host_month.items())
                },
                "host_first_day": dict(sorted(w.host_first.items())),
                "host_last_day": dict(sorted(w.host_last.items())),
                "quoted_jpg_links_per_month": dict(sorted(w.quoted_jpg.items())),
                "upload_threads_per_month": dict(sorted(w.openers.items())),
                "original_tagged_per_month": dict(sorted(w.originals.items())),
                "reupload_requests_per_day": dict(sorted(w.reuploads.items())),
                "notices": w.notices,
            }
        f["returner_post_times"] = {
            k: [iso_z(t) for t in sorted(v)] for k, v in sorted(w.returner_posts.items())
        }
    return truth
