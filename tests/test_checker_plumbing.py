from isolde.checkers import Anomaly, Result, compose, exit_code, merge_validity, run_checkers
from isolde.histories import History, Op


def test_false_beats_unknown_beats_true() -> None:
    assert merge_validity([True, "unknown", True]) == "unknown"
    assert merge_validity([True, "unknown", False]) is False
    assert merge_validity([]) is True
    assert [exit_code(v) for v in (True, False, "unknown")] == [0, 1, 2]


def test_compose_shape() -> None:
    r = compose({"a": Result(False, [Anomaly("G0", (1, 2), "cycle")]), "b": Result(True)})
    assert r["valid"] is False
    assert r["anomaly_types"] == ["G0"]
    assert r["checkers"]["a"]["anomalies"][0] == {"type": "G0", "ops": [1, 2],
                                                  "explanation": "cycle"}


def test_stats_counts_and_latency() -> None:
    h = History([
        Op(0, 0, "invoke", 0, "read", None), Op(1, 2_000_000, "ok", 0, "read", 1),
        Op(2, 3_000_000, "invoke", 0, "write", 2),
        Op(3, 4_000_000, "fail", 0, "write", 2, "nope"),
    ])
    s = run_checkers(h, ["stats"])["stats"]
    assert s.valid is True
    assert s.data["by_f"] == {"read": {"ok": 1}, "write": {"fail": 1}}
    assert s.data["errors"] == {"nope": 1}
    assert s.data["latency_ms"]["read"]["p50"] == 2.0



def test_stats_abort_rate_from_attempts_and_aborted_errors() -> None:
    """A store records ``attempts`` on an op it ran more than once (every attempt but the last
    lost a conflict); an op failing ``aborted`` lost its last one too; ``retries`` (resent
    requests) are counted apart. The rate is aborted attempts over attempts, per f."""
    h = History([
        Op(0, 0, "invoke", 0, "txn", None), Op(1, 1, "ok", 0, "txn", None, extra={"attempts": 3}),
        Op(2, 2, "invoke", 0, "txn", None), Op(3, 3, "fail", 0, "txn", None, "aborted",
                                                 extra={"attempts": 2}),
        Op(4, 4, "invoke", 0, "txn", None), Op(5, 5, "ok", 0, "txn", None),
        Op(6, 6, "invoke", 0, "txn", None), Op(7, 7, "info", 0, "txn", None, "timeout",
                                                 extra={"attempts": 2}),
        Op(8, 8, "invoke", 0, "read", None), Op(9, 9, "ok", 0, "read", 1, extra={"retries": 2}),
        Op(10, 10, "invoke", 0, "write", 1), Op(11, 11, "ok", 0, "write", 1),
    ])
    aborts = run_checkers(h, ["stats"])["stats"].data["aborts"]
    # txn: 3 + 2 + 1 + 2 attempts; 2 + 2 + 0 + 1 aborted (the info op's last is unknown).
    assert aborts["txn"] == {"attempts": 8, "aborted": 5, "abort_rate": 5 / 8, "retries": 0}
    assert aborts["read"] == {"attempts": 1, "aborted": 0, "abort_rate": 0.0, "retries": 2}
    assert "write" not in aborts  # never aborted nor retried
