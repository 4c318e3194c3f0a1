"""The ``outbox`` checker: every committed transfer published exactly one outbox record, and no
transfer that certainly did not happen published any.

It reads the outbox workload's history (``isolde.workloads.outbox``): ``transfer`` ops whose
value carries the transfer's ``id``, and the final ``read-outbox`` op, a consistent read of the
whole outbox after the load whose ok value is the list of records ``{"id", "from", "to",
"amount"}``. Judged against the last ok ``read-outbox``:

- ``lost-outbox-record``: an ok transfer that completed before the read began has no record;
- ``phantom-outbox-record``: a record of a transfer that failed (``fail``: certainly not
  applied), or of a transfer id no op carried;
- ``duplicate-outbox-record``: two or more records of one transfer;
- ``corrupt-outbox-record``: a record whose accounts or amount differ from its transfer's.

When the read's invocation names an id prefix (a string: the workload's), only the records
whose id has it are judged; the others are another run's, sharing the store (a soak's earlier
segments), and are only counted (``other_records``).

An ``info`` transfer may or may not have happened, so zero or one record is fine: both are
counted (``info_published``, ``info_unpublished``), never an anomaly by themselves. An ok
transfer that completed after the read began may not be in it yet (``concurrent_with_read``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from .._errors import BadInput
from ..histories import FAIL, INFO, NEMESIS, OK, History
from ._base import CheckConfig
from ._result import UNKNOWN, Anomaly, Result, Validity
from ._values import show_value

MAX_EXAMPLES = 20  # rendered anomalies per type; all are counted
READ_F = "read-outbox"
FIELDS = ("from", "to", "amount")
OUTCOMES = {OK: "ok", FAIL: "fail", INFO: "info"}


@dataclass
class _Transfer:
    inv: int  # history index of the invocation
    done: int  # of the completion, -1 when the op never completed (an info)
    type: int  # OK, FAIL or INFO
    value: dict[str, Any]


class OutboxChecker:
    name = "outbox"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config or CheckConfig()

    def check(self, history: History) -> Result:
        transfers = _transfers(history)
        read = _last_read(history)
        outcomes = Counter(OUTCOMES[t.type] for t in transfers.values())
        data: dict[str, Any] = {"transfers": dict(outcomes), "read": read}
        if read < 0:
            data["reason"] = "no ok read-outbox op: the outbox was never read"
            return Result(UNKNOWN if transfers else True, [], data)
        judge = _Judge(history, transfers, read)
        judge.run()
        data.update(judge.figures)
        data["anomaly_counts"] = dict(judge.counts)
        valid: Validity = not judge.counts
        return Result(valid, judge.found, data)


def _transfers(history: History) -> dict[Any, _Transfer]:
    """Transfers that carry an id, by id (a repeated id is bad input: records could not be
    told apart)."""
    out: dict[Any, _Transfer] = {}
    fs, values = history.fs, history.values
    for i in history.invocations():
        if fs[i] != "transfer" or not isinstance(values[i], dict) or "id" not in values[i]:
            continue
        tid = values[i]["id"]
        if not _is_id(tid):
            raise BadInput(f"a transfer's id must be a string or an integer, got "
                           f"{show_value(tid)}", history.cite(i))
        if tid in out:
            raise BadInput(f"transfer id {show_value(tid)} is used twice (first by "
                           f"{history.cite(out[tid].inv)})", history.cite(i))
        j = history.pair(i)
        out[tid] = _Transfer(i, j, history.types[j] if j >= 0 else INFO, values[i])
    return out


def _last_read(history: History) -> int:
    """The last ok read-outbox completion, or -1."""
    types, procs, fs = history.types, history.processes, history.fs
    for i in range(len(history) - 1, -1, -1):
        if types[i] == OK and fs[i] == READ_F and procs[i] != NEMESIS:
            return i
    return -1


def _records(history: History, read: int) -> tuple[list[dict[str, Any]], int]:
    """The records the read returned that this history's transfers may have written (by the
    id prefix its invocation names), and how many others it returned."""
    v = history.values[read]
    if not isinstance(v, list) or not all(isinstance(r, dict) and _is_id(r.get("id")) for r in v):
        raise BadInput(f"a read-outbox's value must be a list of records {{id, from, to, "
                       f"amount}}, got {show_value(v)}", history.cite(read))
    inv = history.pair(read)
    prefix = history.values[inv] if inv >= 0 else None
    if not isinstance(prefix, str):
        return v, 0
    own = [r for r in v if isinstance(r["id"], str) and r["id"].startswith(prefix)]
    return own, len(v) - len(own)


class _Judge:
    """One pass over the records of one read, against the transfers."""

    def __init__(self, history: History, transfers: dict[Any, _Transfer], read: int) -> None:
        self.h, self.transfers, self.read = history, transfers, read
        self.read_inv = history.pair(read)
        self.found: list[Anomaly] = []
        self.counts: Counter[str] = Counter()
        self.figures: dict[str, Any] = {}

    def add(self, kind: str, ops: tuple[int, ...], explanation: str, **data: Any) -> None:
        self.counts[kind] += 1
        if self.counts[kind] <= MAX_EXAMPLES:
            self.found.append(Anomaly(kind, ops, explanation, data))

    def run(self) -> None:
        by_id: dict[Any, list[dict[str, Any]]] = {}
        records, others = _records(self.h, self.read)
        for r in records:
            by_id.setdefault(r["id"], []).append(r)
        for tid, recs in by_id.items():
            self._judge_records(tid, recs)
        info_pub = info_unpub = concurrent = 0
        for tid, t in self.transfers.items():
            n = len(by_id.get(tid, ()))
            if t.type == INFO:
                info_pub += n > 0
                info_unpub += n == 0
            elif t.type == OK and n == 0:
                if self.read_inv >= 0 and t.done > self.read_inv:
                    concurrent += 1  # completed while the outbox was being read
                else:
                    self._lost(tid, t)
        self.figures = {"records": len(records), "other_records": others,
                        "info_published": info_pub,
                        "info_unpublished": info_unpub, "concurrent_with_read": concurrent}

    def _lost(self, tid: Any, t: _Transfer) -> None:
        self.add("lost-outbox-record", (t.inv, t.done),
                 f"{self.h.cite(t.done)}: transfer {show_value(tid)} "
                 f"({_show(t.value)}) completed ok, but the outbox read at "
                 f"{self.h.cite(self.read)}, which began after it, holds no record of it",
                 id=tid, read=self.read)

    def _judge_records(self, tid: Any, recs: list[dict[str, Any]]) -> None:
        t = self.transfers.get(tid)
        at = self.h.cite(self.read)
        if t is None:
            self.add("phantom-outbox-record", (self.read,),
                     f"the outbox read at {at} holds a record of transfer {show_value(tid)}, "
                     f"which no op ever requested: {show_value(recs[0])}", id=tid,
                     read=self.read)
            return
        ops = (t.inv, t.done) if t.done >= 0 else (t.inv,)
        if t.type == FAIL:
            self.add("phantom-outbox-record", ops,
                     f"transfer {show_value(tid)} ({_show(t.value)}) failed at "
                     f"{self.h.cite(t.done)} (error {show_value(self.h.error(t.done))}), so it "
                     f"certainly did not happen, yet the outbox read at {at} holds a record of "
                     f"it", id=tid, read=self.read)
        if len(recs) > 1:
            self.add("duplicate-outbox-record", ops,
                     f"the outbox read at {at} holds {len(recs)} records of transfer "
                     f"{show_value(tid)} ({_show(t.value)}, {OUTCOMES[t.type]}); a transfer "
                     f"publishes one", id=tid, read=self.read, records=len(recs))
        wrong = [r for r in recs if any(r.get(k) != t.value.get(k) for k in FIELDS)]
        if wrong:
            self.add("corrupt-outbox-record", ops,
                     f"the outbox read at {at} holds a record of transfer {show_value(tid)} "
                     f"reading {show_value(wrong[0])}, but the transfer was "
                     f"{_show(t.value)}", id=tid, read=self.read, record=wrong[0])


def _is_id(v: Any) -> bool:
    return isinstance(v, (str, int)) and not isinstance(v, bool)


def _show(v: dict[str, Any]) -> str:
    return f"{show_value(v.get('amount'))} from {show_value(v.get('from'))} to " \
           f"{show_value(v.get('to'))}"

