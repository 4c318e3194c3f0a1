"""The stats checker on a history without times: Porcupine's logs carry none (an op's ``time``
is its line number), nor do Knossos's example histories (timed by position), so throughput and
latency are absent, and said to be, not computed from positions (which made 85 ops of
etcd_000.log run at half a billion ops/s)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isolde.checkers import run_checkers
from isolde.histories import load_history, txn_history

from ..conftest import CORPUS, run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "jepsen"
ETCD = CORPUS / "jepsen" / "etcd_000.log"
KV = CORPUS / "kv" / "c01-ok.txt"
pytestmark = pytest.mark.skipif(not ETCD.exists(), reason=f"Porcupine corpus not found at "
                                f"{CORPUS} (../shared/corpus/porcupine from the repo)")


@pytest.mark.parametrize("path", [ETCD, KV], ids=["etcd", "kv"])
def test_no_throughput_or_latency_without_times(path: Path) -> None:
    h = load_history(path)
    assert h.timed is False
    stats = run_checkers(h, ["stats"])["stats"].data
    assert stats["ops_per_s"] is None and stats["duration_s"] is None
    assert stats["latency_ms"] == {}
    assert stats["untimed"].startswith("no times in this history")
    assert stats["ops"] == sum(sum(c.values()) for c in stats["by_f"].values()) > 0


def test_an_edn_history_without_times_is_untimed_too(tmp_path: Path) -> None:
    untimed = FIXTURES / "cas-register-failed-cas.edn"  # Knossos's: no :time
    assert load_history(untimed).timed is False
    timed = tmp_path / "timed.edn"
    timed.write_text('{:type :invoke, :f :read, :value nil, :process 0, :time 10}\n'
                     '{:type :ok, :f :read, :value 1, :process 0, :time 2000010}\n')
    h = load_history(timed)
    assert h.timed is True
    assert run_checkers(h, ["stats"])["stats"].data["latency_ms"]["read"]["max"] == 2.0


def test_a_timed_history_keeps_them() -> None:
    h = txn_history(["ax1", "rx1"])
    assert h.timed is True
    stats = run_checkers(h, ["stats"])["stats"].data
    assert "untimed" not in stats and stats["latency_ms"]["txn"]["count"] == 2
    assert stats["ops_per_s"] is not None


def test_cli_says_so_on_the_terminal_in_results_and_on_the_page(tmp_path: Path) -> None:
    out, page = tmp_path / "r.json", tmp_path / "r.html"
    r = run_cli("check", "--checker", "stats", "--out", str(out), "--html", str(page), str(ETCD))
    assert r.returncode == 0, r.stderr
    assert "no times in this history" in r.stdout and "ops/s" not in r.stdout
    stats = json.loads(out.read_text())["checkers"]["stats"]
    assert stats["ops_per_s"] is None and stats["latency_ms"] == {}
    html = page.read_text()
    assert "no latency or throughput to plot" in html and 'id="latency-plot"' not in html
