"""The workspace config: defaults, and a clear message naming the key for every bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from groundswell import ConfigError, Workspace
from groundswell.config import TEMPLATE, parse


def test_template_parses_to_defaults() -> None:
    cfg = parse(TEMPLATE.format(name="x"))
    assert cfg.name == "x" and cfg.timezone == "UTC"
    assert cfg.imports.batch_size == 250_000 and cfg.imports.max_record_bytes == 16 << 20
    assert cfg.store.memory_limit == "512MB"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[workspace]\ntimezone = 'Mars/Olympus'", "[workspace.timezone] unknown timezone"),
        ("[import]\nbatch_size = 0", "[import.batch_size] must be between 1 and 1000000"),
        ("[import]\nbatch_size = 'many'", "[import.batch_size] must be a int, got str"),
        ("[import]\nmax_record_mb = -1", "[import.max_record_mb] must be positive"),
        ("[import]\nearliest = 'last tuesday'", "[import.earliest] not an ISO date"),
        ("[import]\nbatchsize = 5", "[import.batchsize] unknown key; known: batch_size"),
        ("[imports]\nx = 1", "[imports] unknown section"),
        ("[store]\nthreads = 0", "[store.threads] must be at least 1"),
        ("[workspace\nname = 'x'", "[file] is not valid TOML"),
    ],
)
def test_bad_values_name_their_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse(text)
    assert message in str(e.value)


def test_a_bad_config_stops_open_with_the_key(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "w").close()
    (tmp_path / "w" / "groundswell.toml").write_text("[import]\nearliest = 5\n")
    with pytest.raises(ConfigError, match=r"\[import.earliest\] must be a date"):
        Workspace.open(tmp_path / "w")


def test_earliest_is_configurable(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "w").close()
    (tmp_path / "w" / "groundswell.toml").write_text("[import]\nearliest = 1970-01-01\n")
    f = tmp_path / "old.jsonl"
    f.write_text('{"id": 1, "created_at": 86400, "text": "usenet-era"}\n')
    with Workspace.open(tmp_path / "w") as ws:
        [r] = ws.import_("jsonl", [f])
        assert r.records_new == 1
