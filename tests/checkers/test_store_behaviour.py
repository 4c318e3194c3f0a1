"""End to end from the CLI: what the staleness and causal checkers show on the embedded
store's read modes, the causal workload, the SLA gate and the details file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..conftest import run_cli
from ..hunt import hunt

CHECKERS = "staleness,causal,stats"


def run(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], Path]:
    r = run_cli("run", "--time-limit", "2", "--seed", "5", "--no-progress",
                "--store-dir", str(tmp_path), *args)
    assert r.returncode in (0, 1), r.stderr
    run_dir = (tmp_path / "latest").resolve()
    return r.returncode, json.loads((run_dir / "results.json").read_text()), run_dir


def test_eventual_reads_are_stale_and_break_sessions(tmp_path: Path) -> None:
    code, res, _ = run(tmp_path, "--read-consistency", "eventual", "--checker", CHECKERS)
    st, ca = res["checkers"]["staleness"], res["checkers"]["causal"]
    assert st["stale_reads"] > 0 and st["by_mode"]["eventual"]["stale_fraction"] > 0
    assert ca["counts"]["read-your-writes"] + ca["counts"]["monotonic-reads"] > 0
    assert code == 1 and ca["valid"] is False


def test_session_keeps_its_guarantees_but_is_stale_across_processes(tmp_path: Path) -> None:
    code, res, _ = run(tmp_path, "--read-consistency", "session", "--checker", CHECKERS)
    st, ca = res["checkers"]["staleness"], res["checkers"]["causal"]
    assert ca["counts"]["read-your-writes"] == 0
    assert ca["counts"]["monotonic-reads"] == 0
    assert st["stale_reads"] > 0  # other processes' writes are seen late
    assert code == 0, ca["anomalies"][:3]


def test_strong_reads_are_never_stale(tmp_path: Path) -> None:
    # Capped by ops, not 2 s: a loaded machine gets as many reads to judge.
    code, res, _ = run(tmp_path, "--read-consistency", "strong", "--checker", CHECKERS,
                       "--time-limit", "120", "--max-ops", "3000")
    st = res["checkers"]["staleness"]
    assert st["reads"] > 1000 and st["stale_reads"] == 0
    assert code == 0 and res["checkers"]["causal"]["valid"] is True


def test_bounded_staleness_is_bounded(tmp_path: Path) -> None:
    # Lag near the bound so followers are often within it and often not; no version bound.
    _, res, _ = run(tmp_path, "--read-consistency", "bounded", "--bounded-ms", "100",
                    "--lag-ms", "80", "--bounded-versions", "1000000", "--checker", CHECKERS)
    st = res["checkers"]["staleness"]
    read_latency = res["stats"]["latency_ms"]["read"]["max"]
    assert st["stale_reads"] > 0
    assert st["time_staleness_ms"]["max"] <= 100 + read_latency


def test_causal_workload_flags_comment_without_picture(tmp_path: Path) -> None:
    # By default each read is judged by its mode: eventual reads promise no causality.
    code, res, _ = run(tmp_path / "default", "--workload", "causal", "--read-consistency",
                       "eventual")
    assert set(res["checkers"]) == {"read-promises", "staleness", "stats"}
    assert code == 0 and res["checkers"]["read-promises"]["valid"] is True
    # A reader meeting the comment before the picture is a race of the replicas' lag: seeds
    # until it shows (one 2 s run nearly always shows it).
    def eventual(seed: int) -> tuple[int, dict[str, Any], Path]:
        return run(tmp_path / str(seed), "--workload", "causal", "--read-consistency",
                   "eventual", "--checker", CHECKERS, "--seed", str(seed))

    def monotonic_writes(out: tuple[int, dict[str, Any], Path]) -> list[dict[str, Any]]:
        # A comment seen without its picture (two comments out of order are monotonic-writes
        # anomalies too, but not this one).
        return [a for a in out[1]["checkers"]["causal"]["anomalies"]
                if a["type"] == "monotonic-writes" and "photo-" in a["explanation"]
                and "comment-" in a["explanation"]]

    code, res, run_dir = found = hunt(eventual, lambda out: bool(monotonic_writes(out)),
                                      first_seed=5)
    mw = monotonic_writes(found)
    assert code == 1 and mw
    # Re-checking the recorded history gives the same verdict; --details writes beside --out.
    out = tmp_path / "recheck" / "results.json"
    r = run_cli("check", "--checker", CHECKERS, "--details", "--out", str(out),
                str(run_dir / "history.jsonl"))
    assert r.returncode == 1, r.stderr
    rows = (tmp_path / "recheck" / "staleness.jsonl").read_text().splitlines()
    assert len(rows) == res["checkers"]["staleness"]["reads"]
    # Under session reads a reader that saw the comment always sees the picture.
    code, res, _ = run(tmp_path / "s", "--workload", "causal", "--read-consistency", "session",
                       "--checker", CHECKERS)
    assert code == 0 and res["checkers"]["causal"]["counts"]["monotonic-writes"] == 0


def test_sla_gate_from_the_cli(tmp_path: Path) -> None:
    code, res, run_dir = run(tmp_path, "--read-consistency", "eventual", "--checker",
                             "staleness,stats", "--staleness-sla", "p99=0.001ms", "--details")
    assert code == 1
    assert res["checkers"]["staleness"]["anomaly_types"] == ["staleness-sla-exceeded"]
    assert (run_dir / "staleness.jsonl").exists()
    r = run_cli("check", "--checker", "staleness", "--staleness-sla", "max=1h",
                str(run_dir / "history.jsonl"))
    assert r.returncode == 0, r.stdout
    bad = run_cli("check", "--staleness-sla", "p99=soon", str(run_dir / "history.jsonl"))
    assert bad.returncode == 254
    assert bad.stderr.strip().count("\n") == 0 and "--staleness-sla" in bad.stderr
