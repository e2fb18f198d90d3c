"""The planted coordinated burst (NOVA token) and the organic decoy (a cup final), per platform.

Each chat or social generator asks for its share of the campaign accounts with
:func:`plan_nova`, gives it the names of members who posted before (for the few established
accounts), writes the posts, and returns :class:`NovaAccount` records for the ground truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from groundswell.demo import scenario as sc
from groundswell.demo.common import iso_z

_A = ["moon", "gem", "rocket", "alpha", "hodl", "bull", "chart", "pump", "lambo", "whale"]
_B = ["hunter", "finder", "rider", "queen", "king", "boss", "guru", "hero", "chaser", "scout"]


@dataclass
class NovaAccount:
    platform: str
    name: str
    uid: str
    new: bool
    disclose: bool
    times: list[int] = field(default_factory=list)

    def as_truth(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "name": self.name,
            "id": self.uid,
            "new_account": self.new,
            "discloses_ad": self.disclose,
            "posts": len(self.times),
            "post_times": [iso_z(t) for t in sorted(self.times)],
        }


def plan_nova(
    rng: random.Random, platform: str, established: list[tuple[str, str]], new_id: Any
) -> list[NovaAccount]:
    """The campaign accounts of one platform: ``established`` holds (name, id) of members who
    posted before the burst; ``new_id(name)`` makes an id for a new account."""
    n, n_old, n_ad = (
        sc.NOVA_ACCOUNTS[platform],
        sc.NOVA_ESTABLISHED[platform],
        sc.NOVA_DISCLOSE[platform],
    )
    olds = rng.sample(established, min(n_old, len(established)))
    accounts = [NovaAccount(platform, name, uid, False, False) for name, uid in olds]
    taken = {name for name, _ in established}
    while len(accounts) < n:
        name = f"{rng.choice(_A)}{rng.choice(_B)}{rng.randrange(10, 999)}"
        if platform == "reddit":
            name = f"{rng.choice(_A).title()}_{rng.choice(_B).title()}_{rng.randrange(100, 9999)}"
        elif platform == "telegram":
            name = f"{rng.choice(_A).title()} {rng.choice(_B).title()}"
        if name in taken:
            continue
        taken.add(name)
        accounts.append(NovaAccount(platform, name, new_id(name), True, False))
    for a in rng.sample(accounts, n_ad):
        a.disclose = True
    for a in accounts:
        a.times = sorted(sc.nova_time(rng) for _ in range(1 if rng.random() < 0.6 else 2))
    return accounts


def nova_truth(accounts: list[NovaAccount]) -> dict[str, Any]:
    return {
        "accounts": [a.as_truth() for a in accounts],
        "posts": sum(len(a.times) for a in accounts),
        "new_accounts": sum(a.new for a in accounts),
        "disclosing_accounts": sum(a.disclose for a in accounts),
    }
