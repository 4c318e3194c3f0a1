"""Run directories made by the real CLI, shared by the report, serve and browser tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from tests.conftest import run_cli


@dataclass(frozen=True)
class Runs:
    store: Path  # the store directory
    register: Path  # eventual reads, linearizable checker, partitions: invalid
    list_append: Path  # snapshot isolation: G2-item
    bank: Path  # the read-modify-write control: wrong totals
    staleness: Path  # mixed reads measured against a staleness SLA no follower read meets
    running: Path  # scenario.json and half a history, no results yet
    outside: Path  # a file outside the store directory that a symlink points at
    register_stdout: str


def _run(store: Path, *args: str, code: int = 1) -> tuple[Path, str]:
    p = run_cli("run", "--store-dir", str(store), "--no-progress", *args, timeout=300)
    assert p.returncode == code, p.stdout + p.stderr
    last = p.stdout.strip().splitlines()[-1]
    assert last.startswith("report: "), p.stdout
    return Path(last.removeprefix("report: ")).parent, p.stdout


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("runs")
    store = root / "store"
    register, out = _run(store, "--read-consistency", "eventual", "--checker",
                         "linearizable,stats", "--nemesis", "partition",
                         "--nemesis-interval", "0.5", "--time-limit", "2", "--seed", "3")
    list_append, _ = _run(store, "--workload", "list-append", "--isolation",
                          "snapshot-isolation", "--time-limit", "1.5")
    bank, _ = _run(store, "--workload", "bank", "--bank-mode", "rmw", "--time-limit", "1")
    staleness, _ = _run(store, "--read-consistency", "mixed", "--checker", "staleness,stats",
                        "--staleness-sla", "p99=1us", "--lag-ms", "20", "--time-limit", "1.5")
    running = store / "bank-memory" / "20990101T000000.000000Z"
    running.mkdir(parents=True)
    (running / "scenario.json").write_bytes(orjson.dumps(
        {"store": "memory", "workload": "bank", "nemesis": []}))
    (running / "history.jsonl").write_bytes(
        b'{"index":0,"time":5,"type":"invoke","process":0,"f":"read","value":null}\n{"ind')
    outside = root / "secret.json"
    outside.write_text('{"secret": true}')
    os.symlink(root, store / "escape")
    return Runs(store, register, list_append, bank, staleness, running, outside, out)
