"""What the terminal, results.json and isolde.log say about a verdict: an example of every
anomaly type, true counts and samples, the strongest isolation model, fault windows, nil."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from isolde.checkers import Anomaly, Result, compose, run_checkers, show_value
from isolde.histories import History, Op
from isolde.report import check_results, junit_xml, render_summary

from ..conftest import run_cli


def _render(results: dict[str, object]) -> str:
    console = Console(record=True, width=400, color_system=None)
    render_summary(results, console)
    return console.export_text()


def _sampled() -> dict[str, object]:
    many = [Anomaly("monotonic-reads", (i,), f"mr {i}") for i in range(100)]
    rare = [Anomaly("read-your-writes", (500,), "ryw once")]
    return compose({"causal": Result(False, [*many, *rare], {
        "anomaly_counts": {"monotonic-reads": 3894, "read-your-writes": 1}})})


def test_results_json_keeps_true_counts_and_says_when_a_list_is_a_sample() -> None:
    res = _sampled()
    c = res["checkers"]["causal"]  # type: ignore[index]
    assert c["anomaly_counts"] == {"monotonic-reads": 3894, "read-your-writes": 1}
    assert c["anomalies_sample"] == {"monotonic-reads": {"listed": 100, "found": 3894}}
    assert res["anomaly_counts"] == {"monotonic-reads": 3894, "read-your-writes": 1}


def test_terminal_shows_every_type_and_true_counts() -> None:
    out = _render(_sampled())
    assert "read-your-writes (causal)" in out  # the rare type, behind 100 of another
    assert "monotonic-reads x3894" in out
    shown = out.count("  monotonic-reads (causal)") + out.count("  read-your-writes (causal)")
    assert shown == 5
    assert f"... and {3895 - 5} more causal anomalies" in out
    assert "sample of each causal type: monotonic-reads 100 of 3894" in out


def test_junit_counts_beyond_the_sample() -> None:
    xml = junit_xml([{"path": "h", **_sampled()}]).decode()
    assert "... and 3875 more" in xml


def _history_with_faults() -> History:
    ops = []

    def add(t: int, typ: str, p: object, f: str, v: object) -> None:
        ops.append(Op(len(ops), t, typ, p, f, v))

    add(0, "invoke", 0, "write", 1)
    add(1, "ok", 0, "write", 1)
    add(2, "invoke", 0, "write", 2)
    add(3, "ok", 0, "write", 2)
    add(4, "invoke", 1, "read", None)
    add(5, "ok", 1, "read", 1)  # stale: nonlinearizable, outside any fault
    add(10, "invoke", "nemesis", "start-partition", None)
    add(11, "ok", "nemesis", "start-partition", {"isolated": ["replica-2"]})
    add(12, "invoke", 2, "read", None)
    add(13, "ok", 2, "read", 1)  # stale again, during the partition
    add(20, "invoke", "nemesis", "stop-partition", None)
    add(21, "ok", "nemesis", "stop-partition", None)
    return History(ops)


def test_each_anomaly_says_which_fault_window_it_fell_in() -> None:
    h = _history_with_faults()
    res = check_results(h, {"x": Result(False, [Anomaly("stale", (4,), "outside"),
                                                Anomaly("stale", (8,), "inside"),
                                                Anomaly("sla", (), "no op")])})
    a = res["checkers"]["x"]["anomalies"]
    assert a[0]["fault_windows"] == []
    assert a[1]["fault_windows"] == [{"window": 0, "fault": "partition"}]
    assert "fault_windows" not in a[2]
    assert res["faults"]["windows"][0]["fault"] == "partition"
    out = _render(res)
    assert "stale (x) ops [4] [outside fault windows]: outside" in out
    assert "stale (x) ops [8] [during partition #0]: inside" in out


def test_one_value_rendering() -> None:
    assert show_value([None, 2]) == "[nil 2]"
    assert show_value({"a": [True, "x"]}) == '{"a" [true "x"]}'


def test_cli_values_log_and_strongest_model(tmp_path: Path) -> None:
    h = tmp_path / "h.jsonl"
    h.write_text("".join(json.dumps(o) + "\n" for o in [
        {"type": "invoke", "process": 0, "f": "cas", "value": [None, 2]},
        {"type": "invoke", "process": 1, "f": "read", "value": None},
        {"type": "ok", "process": 1, "f": "read", "value": 5},
        {"type": "ok", "process": 0, "f": "cas", "value": [None, 2]}]))
    r = run_cli("check", str(h))
    out = " ".join(r.stdout.split())
    assert r.returncode == 1 and "process 0 cas [nil 2]" in out and "None" not in out
    store = tmp_path / "store"
    r = run_cli("run", "--workload", "list-append", "--isolation", "snapshot-isolation",
                "--consistency-models", "snapshot-isolation", "--time-limit", "2", "--seed", "3",
                "--store-dir", str(store))
    assert r.returncode == 0, r.stdout + r.stderr
    la = json.loads((store / "latest" / "results.json").read_text())["checkers"]["list-append"]
    assert la["may_satisfy"] == ["snapshot-isolation"]
    assert {"repeatable-read", "serializable"} <= set(la["ruled_out"])
    assert ("list-append: strongest model it is consistent with: snapshot-isolation; "
            "ruled out: repeatable-read, serializable") in " ".join(r.stdout.split())
    log = (store / "latest" / "isolde.log").read_text().splitlines()
    assert log[-1].endswith("verdict: VALID")


def test_check_json_carries_the_windows_its_anomalies_point_at(tmp_path: Path) -> None:
    h = tmp_path / "h.jsonl"
    h.write_text("".join(json.dumps(op.to_dict()) + "\n" for op in _history_with_faults()))
    r = run_cli("check", "--json", str(h))
    rec = json.loads(r.stdout)
    assert r.returncode == 1 and rec["faults"]["windows"][0]["fault"] == "partition"
    (a,) = rec["checkers"]["linearizable"]["anomalies"]
    assert a["fault_windows"] == []  # the first stale read, before the partition
    assert rec["anomaly_counts"] == {"nonlinearizable": 1}


def test_terminal_shows_the_abort_rate() -> None:
    h = History([Op(0, 0, "invoke", 0, "txn", None),
                 Op(1, 1_000_000, "ok", 0, "txn", None, extra={"attempts": 4})])
    out = _render(compose(run_checkers(h, ["stats"])))
    assert "aborts: txn 3/4 attempts (75.0%)" in out
