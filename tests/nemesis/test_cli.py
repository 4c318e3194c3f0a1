"""`isolde run --nemesis ...` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from isolde.histories import read_jsonl
from isolde.nemesis import fault_windows

from ..conftest import run_cli

MEMORY_FAULTS = "partition,pause,latency,lost-response,duplicate,lag-spike,clock-skew"


def test_a_fault_the_store_cannot_take_is_refused_in_one_line(tmp_path: Path) -> None:
    r = run_cli("run", "--nemesis", "kill", "--store-dir", str(tmp_path))
    assert r.returncode == 254
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot take fault 'kill'" in lines[0]
    assert "it supports: pause, partition" in lines[0]
    assert not (tmp_path / "latest").exists()  # refused before anything ran
    r = run_cli("run", "--nemesis", "clock-skew", "--store-dir", str(tmp_path))
    assert r.returncode == 254 and "--writers lww" in r.stderr


def test_every_memory_fault_runs_heals_and_reports(tmp_path: Path) -> None:
    # CI keeps this at 15 s; the README's 60 s run is the same command with --time-limit 60.
    r = run_cli("run", "--writers", "lww", "--nemesis", MEMORY_FAULTS, "--nemesis-interval",
                "1", "--time-limit", "15", "--op-timeout", "0.5", "--read-consistency", "mixed",
                "--check-time-limit", "20",
                "--store-dir", str(tmp_path), "--no-progress", timeout=120)
    assert r.returncode in (0, 1, 2), r.stderr
    assert "faults:" in r.stdout and "all healed" in r.stdout
    run = tmp_path / "latest"
    results = json.loads((run / "results.json").read_text())
    assert results["faults"]["healed"] is True
    assert set(results["faults"]["by_fault"]) == set(MEMORY_FAULTS.split(","))
    h = read_jsonl(run / "history.jsonl")
    windows = fault_windows(h)
    assert len(windows) == 7 and all(w.healed for w in windows)
    assert json.loads((run / "scenario.json").read_text())["nemesis"] == MEMORY_FAULTS.split(",")


def test_check_reports_the_fault_windows_of_a_recorded_history(tmp_path: Path) -> None:
    r = run_cli("run", "--nemesis", "partition", "--nemesis-interval", "0.3", "--time-limit",
                "1", "--store-dir", str(tmp_path), "--no-progress")
    assert r.returncode == 0, r.stderr
    hist = tmp_path / "latest" / "history.jsonl"
    out = tmp_path / "r.json"
    r = run_cli("check", str(hist), "--out", str(out))
    assert r.returncode == 0 and "faults: partition x" in r.stdout
    assert "all healed" in r.stdout


def test_ctrl_c_heals_the_fault_in_place(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    from ..conftest import ROOT

    proc = subprocess.Popen(
        [sys.executable, "-m", "isolde", "run", "--nemesis", "pause", "--nemesis-interval",
         "0.5", "--time-limit", "60", "--op-timeout", "0.3", "--store-dir", str(tmp_path),
         "--no-progress"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    hist = tmp_path / "register-memory" / "latest" / "history.jsonl"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the pause is in place
        if hist.exists() and b"start-pause" in hist.read_bytes():
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err  # cut short by Ctrl-C (the verdict is in results.json)
    h = read_jsonl(hist)
    fs = [op.f for op in h.nemesis_ops()]
    assert fs[-1] == "stop-pause" and fault_windows(h)[-1].healed
    assert "all healed" in out


def test_cloud_store_refuses_proxy_and_process_faults_before_its_plan(tmp_path: Path) -> None:
    r = run_cli("run", "--store", "dynamodb", "--region", "eu-west-1", "--nemesis",
                "partition", "--store-dir", str(tmp_path))
    assert r.returncode == 254
    assert "no local endpoint" in r.stderr and "supports: throttle, client-timeout, cancel" in (
        r.stderr)
    assert "cloud audit" not in r.stdout  # refused before the plan, no request sent
