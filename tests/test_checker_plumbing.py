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
