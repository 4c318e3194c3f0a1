"""Both ways the isolation checkers read transactions: micro-ops as objects (a history built in
memory, or read from EDN) and micro-ops held in the history's columns (a JSONL file)."""

from __future__ import annotations

import io

import orjson

from isolde.checkers import Checker, Result
from isolde.histories import History, HistoryInput, read_jsonl


def as_columns(h: History) -> History:
    """``h`` written as JSONL and read back: its transaction values are then columns."""
    data = b"".join(orjson.dumps(op.to_dict()) + b"\n" for op in h)
    out = read_jsonl(HistoryInput(io.BytesIO(data), "<columns>"))
    assert out.txn_columns is not None, "the values were expected to be encodable"
    return out


def check_both(checker: Checker, h: History) -> Result:
    """``checker``'s result on ``h``, after checking that the columns give the same one (every
    anomaly and explanation, every figure but the time taken)."""
    r = checker.check(h)
    c = checker.check(as_columns(h))
    assert (c.valid, c.anomalies) == (r.valid, r.anomalies)
    assert {**c.data, "check_s": 0} == {**r.data, "check_s": 0}
    return r
