"""Pieces of forum posts: phpBB dates and markup, file-host URLs, and the planted phrases of
the file-sharing story (upload leads, thanks, re-upload requests, moderator notices), and the
three forums' settings."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from groundswell.demo.common import B32, END, START, Build, html_escape


def para(text: str) -> str:
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


def host_url(rng: random.Random, template: str, d: date) -> str:
    code_ = code(rng)
    name = rng.choice(FILE_NAMES) + f"_{rng.randrange(1, 60):02d}"
    return template.format(code=code_, yyyy=d.year, mm=f"{d.month:02d}", name=name)


_WD = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def phpbb_date(d: date, hour: int, minute: int) -> str:
    """phpBB's default ``D M d, Y g:i a``: ``Wed Apr 22, 2020 5:05 pm``."""
    h12 = hour % 12 or 12
    return (
        f"{_WD[d.weekday()]} {_MON[d.month - 1]} {d.day:02d}, {d.year} "
        f"{h12}:{minute:02d} {'am' if hour < 12 else 'pm'}"
    )


SET_SUBJECTS = [
    "Misty harbour mornings",
    "Autumn forest walk",
    "Old trams of the city",
    "Sunset over the dunes",
    "Tulip fields",
    "Street cats",
    "Lighthouse trip",
    "Rainy window studies",
    "Mountain lake",
    "Market stalls",
    "Snowy park",
    "Vintage bicycles",
    "Cloud formations",
    "Garden birds",
    "Night skyline",
]
FILE_NAMES = ["IMG", "DSC", "photo", "scan", "pic", "P"]
LEADS = {
    "upload": [
        "Some shots from last weekend.",
        "My own photos, enjoy.",
        "Finally sorted this set.",
        "Scanned these from old prints.",
        "Took these on a long walk.",
    ],
    "more": ["A few more from the same trip.", "Part two of the set.", "Found some extras."],
    "linkchat": [
        "Here are the pictures I mentioned.",
        "Photos from the meetup.",
        "The view from my window today.",
    ],
}
THANKS = [
    "Lovely set.",
    "Great colours.",
    "Thanks for sharing.",
    "The third one is my favourite.",
    "More please!",
]
REUPLOAD = [
    "The {host} links in this thread are dead, could someone reupload?",
    "Reupload please? {host} is gone.",
    "Any chance of a re-upload on another host? {host} links do not work anymore.",
    "{host} went down, would love a reupload of this set.",
]
NOTICE_TITLES = {
    "merge": "Host news: pixa sites merged",
    "approved1": "Approved hosts (update)",
    "approved2": "Approved hosts (update 2)",
}
NOTICES = {
    "merge": "pixa-one.example, pixa-two.example and pixa-three.example are now one site: "
    "pixaverse.example. Old links will not be fixed, please post new ones there.",
    "approved1": "imgdrop.example and picbox.example are down for good. Approved host from "
    "now on: fotoflux.example.",
    "approved2": "Added imgnest.example to the approved hosts list.",
}


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
        ForumSpec(
            "lantern",
            "Lantern Hall",
            _onion(rng),
            "tor",
            "Europe/Amsterdam",
            1,
            [
                Board("General chat", "en", 40, 0.10),
                Board("Russian chat", "ru", 14, 0.10),
                Board("Dutch chat", "nl", 11, 0.10),
                Board("Indonesian chat", "id", 8, 0.12),
                Board("Chinese chat", "zh", 8, 0.12),
                Board("Help desk", "en", 12, 0.30, "tech"),
            ],
            START,
            END,
            30,
            1500,
            chat,
            104_211,
            8_100,
        ),
        ForumSpec(
            "polder",
            "Polder Makers",
            "https://poldermakers.example",
            "clearnet",
            "Europe/Amsterdam",
            1,
            [
                Board("General chat", "en", 14, 0.10),
                Board("Dutch chat", "nl", 14, 0.10),
                Board("Indonesian chat", "id", 3, 0.15),
                Board("Help desk", "en", 6, 0.30, "tech"),
            ],
            START,
            END,
            16,
            500,
            [("en", 0.45), ("nl", 0.45), ("id", 0.1)],
            52_007,
            3_300,
        ),
        ForumSpec(
            "harbour",
            "Harbour Lights",
            "https://harbourlights.example",
            "clearnet",
            "Asia/Jakarta",
            7,
            [
                Board("General chat", "en", 30, 0.10),
                Board("Indonesian chat", "id", 14, 0.10),
                Board("Chinese chat", "zh", 6, 0.12),
                Board("Help desk", "en", 6, 0.30, "tech"),
            ],
            START,
            date(2019, 9, 14),
            20,
            700,
            [("en", 0.5), ("id", 0.35), ("zh", 0.15)],
            310_450,
            21_020,
        ),
    ]
