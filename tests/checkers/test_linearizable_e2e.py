"""End to end: the register workload on the embedded store is checked for linearizability."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from isolde.checkers import CheckConfig
from isolde.harness import Scenario, run_scenario

from ..conftest import run_cli


def test_strong_reads_are_linearizable(tmp_path: Path) -> None:
    r = run_cli("run", "--time-limit", "1.5", "--store-dir", str(tmp_path), "--seed", "5")
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads((tmp_path / "latest" / "results.json").read_text())
    lin = res["checkers"]["linearizable"]
    assert lin["valid"] is True and lin["model"] == "multi-register" and lin["ops"] > 1000


def test_eventual_reads_keep_their_promise_but_the_history_is_not_linearizable(
        tmp_path: Path) -> None:
    r = run_cli("run", "--time-limit", "1.5", "--store-dir", str(tmp_path), "--seed", "5",
                "--read-consistency", "eventual", "--lag-ms", "20")
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads((tmp_path / "latest" / "results.json").read_text())
    rp = res["checkers"]["read-promises"]
    assert rp["valid"] is True and rp["whole_history"]["linearizable"] is False
    assert "whole history: not linearizable" in r.stdout


def test_eventual_reads_are_not_linearizable_and_the_terminal_explains(tmp_path: Path) -> None:
    r = run_cli("run", "--time-limit", "1.5", "--store-dir", str(tmp_path), "--seed", "5",
                "--read-consistency", "eventual", "--lag-ms", "20",
                "--checker", "linearizable,stats")
    assert r.returncode == 1, r.stdout + r.stderr
    text = " ".join(r.stdout.split())  # the terminal wraps the explanation anywhere
    assert "nonlinearizable" in text and "cannot be linearized" in text
    res = json.loads((tmp_path / "latest" / "results.json").read_text())
    a = res["checkers"]["linearizable"]["anomalies"][0]
    assert a["type"] == "nonlinearizable" and a["op"]["f"] in ("read", "write", "cas")
    assert set(a) >= {"window", "prefix_length", "prefix_tail", "states", "concurrent", "key"}
    # Re-checking the history file from the CLI finds the same first anomaly.
    r2 = run_cli("check", "--json", "--checker", "linearizable",
                 str(tmp_path / "latest" / "history.jsonl"))
    rec = json.loads(r2.stdout)
    assert rec["checkers"]["linearizable"]["anomalies"][0]["ops"] == a["ops"]


@pytest.mark.slow
def test_100k_ops_50_keys_20_processes_strong_is_valid(tmp_path: Path) -> None:
    s = Scenario(max_ops=100_000, time_limit=300, concurrency=20, store_dir=tmp_path,
                 store_options={"latency_ms": 0.5},
                 workload_options={"keys": 50, "ops_per_key": 2000},
                 checkers=("linearizable",), check=CheckConfig())
    t0 = time.monotonic()
    out = run_scenario(s)
    lin = out.results["checkers"]["linearizable"]
    finals = sum(1 for i in out.history.invocations() if out.history.extra(i).get("final"))
    assert sum(1 for i in out.history.invocations()) == 100_000 + finals
    assert finals >= 50  # every key used is read once more at the end, strong: one round
    assert lin["valid"] is True, lin["anomalies"][:1]
    assert lin["ops"] == 100_000 + finals
    print(f"recorded+checked in {time.monotonic() - t0:.1f}s; check {lin['seconds']}s")


def _explosive_jsonl(path: Path, n: int = 9) -> Path:
    """n concurrent appends then a read no order explains: n! orders to rule out."""
    ops = [{"type": "invoke", "process": k, "f": "append", "value": ["k", f"<{k}>"]}
           for k in range(n)]
    ops += [{"type": "ok", "process": k, "f": "append", "value": ["k", f"<{k}>"]}
            for k in range(n)]
    ops += [{"type": "invoke", "process": n, "f": "get", "value": ["k", None]},
            {"type": "ok", "process": n, "f": "get", "value": ["k", "nope"]}]
    path.write_text("".join(json.dumps({"index": i, "time": i, **op}) + "\n"
                            for i, op in enumerate(ops)))
    return path


@pytest.mark.parametrize(("flag", "value", "reason"), [
    ("--check-time-limit", "0.3", "time limit"), ("--memory-limit", "1M", "memory limit")])
def test_budgets_end_in_unknown_from_the_cli(tmp_path: Path, flag: str, value: str,
                                             reason: str) -> None:
    p = _explosive_jsonl(tmp_path / "h.jsonl")
    r = run_cli("check", flag, value, "--json", str(p))
    assert r.returncode == 2, r.stdout + r.stderr
    lin = json.loads(r.stdout)["checkers"]["linearizable"]
    (u,) = lin["unknown"]
    assert u["reason"] == reason and u["longest_length"] == 9
    r = run_cli("check", flag, value, str(p))
    assert f'unknown (linearizable) key "k": {reason}' in r.stdout.replace("\n", " ")
