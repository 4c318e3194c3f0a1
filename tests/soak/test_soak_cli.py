"""isolde soak end to end on the embedded store: segments checked as the load goes on, a kill -9
and a resume, the --on-anomaly hook, bad input refused before any load."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from isolde.harness.emulators import EmulatorError
from isolde.harness.stores.dynamodb import DYNAMODB_LOCAL
from isolde.histories import read_jsonl

from ..conftest import ROOT, run_cli


def _soak_dir(store_dir: Path) -> Path:
    return (store_dir / "soak-register-memory" / "latest").resolve()


def _wait_for_running_segment(store_dir: Path, proc: subprocess.Popen[str],
                              timeout: float = 120) -> tuple[Path, int]:
    """Wait until segment 0 is checked and a later one is being recorded with ops and a fault
    on disk; returns the run directory and that segment's index."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            run_dir = _soak_dir(store_dir)
            soak = json.loads((run_dir / "soak.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            time.sleep(0.1)
            continue
        entries = {e["index"]: e for e in soak["segments"]}
        running = [i for i, e in entries.items() if e["status"] == "running" and i > 0]
        if entries.get(0, {}).get("status") == "checked" and running:
            hist = run_dir / "segments" / f"{running[0]:04d}" / "history.jsonl"
            # Ops on disk, and a fault already under way in it (checks that draw reports make
            # segment 0 "checked" late, when the next segment may not have had its first fault).
            if hist.exists() and hist.stat().st_size > 10_000 and b'"nemesis"' in hist.read_bytes():
                return run_dir, running[0]
        time.sleep(0.1)
    raise AssertionError("no segment ran after segment 0 was checked")


def test_kill_9_mid_segment_then_resume_checks_every_segment_once(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-m", "isolde", "soak", "--time-limit", "30", "--segment", "5",
         "--nemesis", "partition,lost-response", "--nemesis-interval", "1",
         "--op-timeout", "0.5", "--store-dir", str(store_dir), "--seed", "4"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        run_dir, k = _wait_for_running_segment(store_dir, proc)
        os.kill(proc.pid, signal.SIGKILL)  # mid-segment: it has ops on disk and is not closed
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = {d.name: (d / "results.json").read_bytes()
              for d in (run_dir / "segments").iterdir() if (d / "results.json").exists()}
    assert "0000" in before  # segment 0 was checked while segment 1 ran
    killed = run_dir / "segments" / f"{k:04d}"
    assert not (killed / "segment.json").exists()
    kept = len(read_jsonl(killed / "history.jsonl"))
    assert kept > 100

    r = run_cli("soak", "--resume", str(run_dir), timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    soak = json.loads((run_dir / "soak.json").read_text())
    assert soak["status"] == "finished"
    assert soak["valid"] is True
    assert [e["index"] for e in soak["segments"]] == list(range(6))
    for e in soak["segments"]:
        assert e["status"] == "checked" and e["valid"] is True, e
        assert e["ops"] > 0 and e["ops_per_s"] > 0
        assert set(e["latency_ms"]) >= {"read", "write"}
    assert soak["segments"][k].get("interrupted") is True
    assert not any(e.get("interrupted") for i, e in enumerate(soak["segments"]) if i != k)
    # The killed segment lost only its unfinished ops: what it had recorded was checked.
    assert len(read_jsonl(killed / "history.jsonl")) >= kept
    log = (run_dir / "soak.log").read_text()
    for i in range(6):
        assert log.count(f"checked segment {i:04d} ") == 1, (i, log)
    for name, data in before.items():  # not re-checked
        assert (run_dir / "segments" / name / "results.json").read_bytes() == data
    # Faults ran in the segments (a busy machine may leave one cut short by the kill or the
    # resume without a fault of its own), and each segment's keys are its own.
    keys: dict[int, set[int]] = {}
    faulted = 0
    for i in range(6):
        h = read_jsonl(run_dir / "segments" / f"{i:04d}" / "history.jsonl")
        faulted += any(op.process == "nemesis" for op in h)
        keys[i] = {op.value[0] for op in h if op.process != "nemesis"}
    assert faulted >= 5, faulted
    for i in range(6):
        for j in range(i + 1, 6):
            assert not keys[i] & keys[j]


def test_on_anomaly_runs_once_per_invalid_segment(tmp_path: Path) -> None:
    hooks, junit = tmp_path / "hooks.txt", tmp_path / "junit.xml"
    r = run_cli("soak", "--time-limit", "3", "--segment", "1", "--store-dir", str(tmp_path),
                "--read-consistency", "eventual", "--lag-ms", "20", "--checker",
                "linearizable,stats", "--on-anomaly", f"echo >> {hooks}", "--junit", str(junit),
                timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    soak = json.loads((_soak_dir(tmp_path) / "soak.json").read_text())
    invalid = [e for e in soak["segments"] if e["valid"] is False]
    assert invalid and "INVALID" in r.stdout
    lines = hooks.read_text().split()
    assert sorted(lines) == sorted(
        str(_soak_dir(tmp_path) / e["dir"] / "results.json") for e in invalid)
    assert all(e["on_anomaly"]["exit"] == 0 for e in invalid)
    assert all(e["anomaly_counts"].get("nonlinearizable") for e in invalid)
    # --junit: a testsuite per segment, a testcase per checker, a failure per invalid segment
    # (the run directory keeps a copy).
    suites = ET.parse(junit).getroot()
    assert suites.get("failures") == str(len(invalid))
    assert [s.get("name") for s in suites] == [
        str(_soak_dir(tmp_path) / e["dir"] / "history.jsonl") for e in soak["segments"]]
    assert all(len(s) == 2 for s in suites)
    assert (_soak_dir(tmp_path) / "junit.xml").read_bytes() == junit.read_bytes()
    # A report per checked segment, and a trend page linking them, offline.
    run_dir = _soak_dir(tmp_path)
    trend = (run_dir / "trend.html").read_text()
    for e in soak["segments"]:
        page = (run_dir / e["dir"] / "report.html").read_text()
        assert ("INVALID" if e["valid"] is False else "VALID") in page
        assert f'href="{e["dir"]}/report.html"' in trend
    assert "<script" not in trend and "//" not in trend.split("<svg", 1)[0].replace(
        "http://www.w3.org", "")
    assert trend.count("<svg") == 2  # throughput, latency p99 (no staleness checker here)
    assert "isolde run" in (run_dir / invalid[0]["dir"] / "report.html").read_text()


def test_baseline_flags_new_anomaly_types(tmp_path: Path) -> None:
    good = run_cli("soak", "--time-limit", "2", "--segment", "1",
                   "--store-dir", str(tmp_path / "a"))
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_cli("soak", "--time-limit", "2", "--segment", "1", "--store-dir",
                  str(tmp_path / "b"), "--read-consistency", "eventual", "--lag-ms", "20",
                  "--checker", "linearizable,stats", "--baseline", str(_soak_dir(tmp_path / "a")))
    assert bad.returncode == 1
    assert "regression: new anomaly type nonlinearizable" in bad.stdout
    soak = json.loads((_soak_dir(tmp_path / "b") / "soak.json").read_text())
    assert {"metric": "anomaly-type", "new": "nonlinearizable"} in soak["baseline"]["regressions"]


def test_bad_soak_input_is_refused_before_any_load(tmp_path: Path) -> None:
    store = ["--store-dir", str(tmp_path / "s")]
    cases = [
        ([*store, "--segment", "10x"], "--segment"),
        ([*store, "--time-limit", "-3"], "--time-limit"),
        ([*store, "--baseline", str(tmp_path / "nothing")], "soak.json"),
        (["--resume", str(tmp_path / "nothing")], "soak.json"),
        (["--resume", str(tmp_path), *store], "--resume takes no other option"),
        ([*store, "--nemesis", "kill"], "cannot take fault"),
        ([*store, "--bogus"], "--bogus"),
        ([*store, "--junit", str(tmp_path)], "--junit"),
        ([*store, "--workload", "stream"], "cannot run workload 'stream'"),
    ]
    for args, what in cases:
        r = run_cli("soak", *args)
        assert r.returncode == 254, (args, r.stdout, r.stderr)
        assert what in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    assert not (tmp_path / "s").exists()


def test_soak_on_dynamodb_local_keeps_one_fault_proxy(tmp_path: Path) -> None:
    """The proxy is set up once for the soak: segments after the first still reach the store
    through it (and each segment draws its own fault schedule)."""
    try:
        DYNAMODB_LOCAL.require_installed()
    except EmulatorError as e:
        pytest.skip(f"DynamoDB Local not installed: {e}")
    r = run_cli("soak", "--store", "dynamodb-local", "--time-limit", "6", "--segment", "3",
                "--nemesis", "latency", "--nemesis-interval", "0.5", "--store-dir",
                str(tmp_path), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    run_dir = (tmp_path / "soak-register-dynamodb-local" / "latest").resolve()
    soak = json.loads((run_dir / "soak.json").read_text())
    assert [e["valid"] for e in soak["segments"]] == [True, True]
    for i in range(2):
        h = read_jsonl(run_dir / "segments" / f"{i:04d}" / "history.jsonl")
        assert any(op.f == "start-latency" and op.type == "ok" for op in h)
