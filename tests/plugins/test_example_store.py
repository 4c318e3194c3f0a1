"""The out-of-tree example store from docs/stores.md: installed as a user installs it, found by
its entry point, run end to end by `isolde run`, and passing the conformance suite."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from isolde.harness import Store, make_store
from isolde.harness.testing import StoreConformance

from ..conftest import ROOT
from .conftest import env_with


def isolde(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "isolde", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300, env=env_with(site))


@pytest.mark.parametrize("workload", ["register", "list-append"])
def test_isolde_run_on_the_installed_example_store_gives_a_verdict(
        example_site: Path, tmp_path: Path, workload: str) -> None:
    p = isolde(example_site, "run", "--store", "sqlite", "--workload", workload,
               "--time-limit", "1.5", "--concurrency", "4", "--no-progress",
               "--journal-mode", "delete", "--store-dir", str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    run = tmp_path / "latest"
    results = json.loads((run / "results.json").read_text())
    assert results["valid"] is True
    scenario = json.loads((run / "scenario.json").read_text())
    assert scenario["store"] == "sqlite"
    assert scenario["store_options"]["journal_mode"] == "delete"  # its own flag reached it
    assert sum('"ok"' in line for line in (run / "history.jsonl").open()) > 10


def test_the_example_store_is_listed_with_its_flags(example_site: Path) -> None:
    p = isolde(example_site, "stores")
    assert p.returncode == 0, p.stderr
    assert "sqlite: example plugin" in p.stdout and "--journal-mode" in p.stdout
    assert "memory:" in p.stdout  # the built-ins are still there
    p = isolde(example_site, "run", "--store", "sqlite", "--help")
    assert p.returncode == 0 and "--synchronous" in p.stdout and "--replicas" not in p.stdout
    p = isolde(example_site, "run", "--store", "sqlite", "--synchronous", "sometimes")
    assert p.returncode == 254 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    p = isolde(example_site, "run", "--store", "sqlite", "--nemesis", "kill")
    assert p.returncode == 254 and "cannot take fault 'kill'" in p.stderr
    p = isolde(example_site, "run", "--store", "sqlite", "--workload", "bank")
    assert p.returncode == 254 and "cannot run workload 'bank': it lacks bank" in p.stderr


@pytest.mark.usefixtures("example_site")
class TestExampleStoreConformance(StoreConformance):
    def make_store(self) -> Store:
        return make_store("sqlite", {"journal_mode": "delete"})
