from __future__ import annotations

from pathlib import Path

import pytest

from isolde import BadInput
from isolde.histories import History, HistoryWriter, Op, load_history, read_edn, read_jsonl


def ops(*rows: tuple) -> list[Op]:
    return [Op(i, i, t, p, f, v) for i, (t, p, f, v) in enumerate(rows)]


def test_pairing_and_views() -> None:
    h = History(ops(
        ("invoke", 0, "write", [1, 5]),
        ("invoke", 1, "read", [2, None]),
        ("ok", 0, "write", [1, 5]),
        ("info", 1, "read", [2, None]),
        ("invoke", "nemesis", "start-partition", None),
        ("invoke", 0, "read", [1, None]),
    ))
    assert h.pair(0) == 2 and h.pair(2) == 0
    assert h.pair(1) == 3
    assert h.pair(5) == -1  # never completed
    assert h.by_process()[0] == [0, 2, 5]
    assert set(h.by_key()) == {1, 2}
    assert h.by_key()[1] == [0, 2, 5]
    assert len(h.client_ops()) == 5
    assert [op.f for op in h.nemesis_ops()] == ["start-partition"]
    sub = h.subhistory(h.by_key()[1], unwrap_key=True)
    assert [op.value for op in sub] == [5, 5, None]
    assert sub[0].extra["source_index"] == 0


def test_completion_without_invocation_is_bad_input() -> None:
    with pytest.raises(BadInput, match="without an invocation"):
        History(ops(("ok", 0, "read", 1)))


def test_double_invoke_is_bad_input() -> None:
    with pytest.raises(BadInput, match="still open"):
        History(ops(("invoke", 0, "read", None), ("invoke", 0, "read", None)))


def test_jsonl_roundtrip_and_torn_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    p = tmp_path / "h.jsonl"
    with HistoryWriter(p) as w:
        for op in ops(("invoke", 0, "write", [1, 2]), ("ok", 0, "write", [1, 2])):
            w.write(op.with_(extra={"consistency": "strong"}))
    h = read_jsonl(p)
    assert [op.type for op in h] == ["invoke", "ok"]
    assert h[0].extra == {"consistency": "strong"}
    with open(p, "ab") as fh:
        fh.write(b'{"index":2,"type":"inv')  # a killed writer
    assert len(read_jsonl(p)) == 2
    assert "incomplete" in caplog.text


def test_edn_per_line_and_vector(tmp_path: Path) -> None:
    lines = ('{:type :invoke, :f :read, :value nil, :process 0, :time 10, :index 0}\n'
             '{:type :ok, :f :read, :value 3, :process 0, :time 20, :index 1}\n'
             '{:type :info, :f :start, :value [:n1 "n2"], :process :nemesis, :time 30}\n')
    p = tmp_path / "history.edn"
    p.write_text(lines)
    h = load_history(p)
    assert [(op.type, op.f, op.value) for op in h] == [
        ("invoke", "read", None), ("ok", "read", 3), ("info", "start", ["n1", "n2"])]
    assert h[2].process == "nemesis"
    q = tmp_path / "vec.edn"
    q.write_text("[" + lines.replace("\n", " ") + "]")
    assert [op.value for op in read_edn(q)] == [None, 3, ["n1", "n2"]]


def test_edn_txn_values(tmp_path: Path) -> None:
    p = tmp_path / "h.edn"
    p.write_text('{:type :ok, :f :txn, :value [[:append 1 2] [:r 1 [1 2]]], :process 3}\n')
    p.write_text('{:type :invoke, :f :txn, :value [[:append 1 2] [:r 1 nil]], :process 3}\n'
                 + p.read_text())
    h = load_history(p)
    assert h[1].value == [["append", 1, 2], ["r", 1, [1, 2]]]
