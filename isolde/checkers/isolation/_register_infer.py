"""rw-register inference: transactions of ``["r", k, v]`` / ``["w", k, v]`` with writes unique
per key.

A read names its writer, which gives wr edges, but a register's version order is not observable
the way a list's is, so it is inferred, and only from these facts:

- the initial state (``None``) precedes every written version (readers of ``None`` -> rw -> every
  writer of the key);
- within a transaction, a read of k followed by a write of k: the version read precedes the one
  written (ww from its writer, rw from its other readers);
- when the requested models include realtime (process) order: writes of a key ordered in real
  time (by one process) follow that order. Edges from these are labelled ``realtime``
  (``process``), and anti-dependencies from them ``rw-realtime`` (``rw-process``), since they
  hold only under that assumption: cycles using them carry the suffix.

Everything else about the version order stays unknown, so this checker can miss anomalies a
list-append history would show (blind writes of a key never read are unordered).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

from ..._errors import BadInput
from ...histories import FAIL, OK
from ._anomaly import PROCESS, REALTIME, RW, RW_PROCESS, RW_REALTIME, WR, WW, Found
from ._graph import Graph
from ._txns import Txns


@dataclass
class RegisterFacts:
    writer: dict[Any, dict[Any, int]] = field(default_factory=dict)  # committed writes
    failed: dict[Any, dict[Any, int]] = field(default_factory=dict)
    intermediate: dict[Any, set[Any]] = field(default_factory=dict)  # overwritten in its txn
    read_t: array = field(default_factory=lambda: array("q"))  # external reads
    read_k: list[Any] = field(default_factory=list)
    read_v: list[Any] = field(default_factory=list)
    wfr: list[tuple[Any, Any, Any, int]] = field(default_factory=list)  # (k, read, wrote, txn)
    readers: dict[tuple[Any, Any], list[int]] = field(default_factory=dict)
    found: list[Found] = field(default_factory=list)
    seen_info: set[int] = field(default_factory=set)  # info txns whose writes someone read


def _scalar(v: Any, t: int, txns: Txns) -> Any:
    if isinstance(v, (list, dict)):
        raise BadInput(f"rw-register values must be scalars, got {v!r}",
                       txns.cite(txns.op_index(t)))
    return v


def collect_registers(txns: Txns) -> RegisterFacts:
    facts = RegisterFacts()
    lost: dict[tuple[Any, Any], list[int]] = {}
    for t in range(len(txns)):
        st, ms = txns.status[t], txns.mops[t]
        if st == FAIL:
            for f, k, v in ms:
                if f == "w":
                    facts.failed.setdefault(k, {})[v] = t
            continue
        own: dict[Any, Any] = {}
        ext: dict[Any, Any] = {}
        for idx, (f, k, v) in enumerate(ms):
            if f == "w":
                v = _scalar(v, t, txns)
                facts.writer.setdefault(k, {})[v] = t
                if k in own:
                    facts.intermediate.setdefault(k, set()).add(own[k])
                elif k in ext:
                    facts.wfr.append((k, ext[k], v, t))
                    lost.setdefault((k, ext[k]), []).append(t)
                own[k] = v
            elif f == "r" and st == OK:
                v = _scalar(v, t, txns)
                if k in own:
                    if v != own[k]:
                        facts.found.append(Found("internal", (t,), {
                            "key": k, "value": v, "expected": own[k], "mop": idx}))
                elif k in ext:
                    if v != ext[k]:
                        facts.found.append(Found("nonrepeatable-read", (t,), {
                            "key": k, "value": v, "before": ext[k], "mop": idx}))
                else:
                    ext[k] = v
                    facts.read_t.append(t)
                    facts.read_k.append(k)
                    facts.read_v.append(v)
                    facts.readers.setdefault((k, v), []).append(t)
                    later = [m[2] for m in ms[idx + 1:] if m[0] == "w" and m[1] == k]
                    if v is not None and v in later:
                        facts.found.append(Found("future-read", (t,), {
                            "key": k, "value": v, "elements": [v], "mop": idx}))
    for (k, v), ts in lost.items():
        if len(ts) > 1:
            facts.found.append(Found("lost-update", tuple(ts), {"key": k, "value": v}))
    _read_anomalies(facts)
    return facts


def _read_anomalies(facts: RegisterFacts) -> None:
    for t, k, v in zip(facts.read_t, facts.read_k, facts.read_v, strict=True):
        if v is None:
            continue
        w = facts.writer.get(k, {}).get(v)
        if w is not None and w != t:
            facts.seen_info.add(w)  # (ok ones too: only looked up for info writers)
        if w is None:
            fk = facts.failed.get(k, {})
            if v in fk:
                facts.found.append(Found("G1a", (fk[v], t), {"key": k, "value": v,
                                                             "element": v}))
            else:
                facts.found.append(Found("garbage-read", (t,), {"key": k, "value": v,
                                                                "element": v}))
        elif w != t and v in facts.intermediate.get(k, ()):
            facts.found.append(Found("G1b", (w, t), {"key": k, "value": v, "element": v}))


def register_edges(g: Graph, facts: RegisterFacts, txns: Txns, process: bool,
                   realtime: bool) -> None:
    """wr, the initial-state and write-follows-read orders, and (if asked) the orders of writes
    by process and in real time."""
    add, writer = g.add, facts.writer
    for t, k, v in zip(facts.read_t, facts.read_k, facts.read_v, strict=True):
        if v is None:  # the initial state precedes every committed write of k
            for u in _known_writers(k, facts, txns):
                if u != t:
                    add(t, u, RW)
            continue
        w = writer.get(k, {}).get(v)
        if w is not None and w != t:
            add(w, t, WR)
    for k, before, _after, t in facts.wfr:
        if before is None:
            continue
        _precedes(g, facts, k, before, t, WW, RW)
    if not (process or realtime):
        return
    by_key: dict[Any, list[tuple[int, Any]]] = {}
    for k, wk in writer.items():
        by_key[k] = sorted((t, v) for v, t in wk.items() if txns.status[t] == OK
                           and v not in facts.intermediate.get(k, ()))
    for k, ws in by_key.items():
        if process:
            last: dict[Any, Any] = {}
            for t, v in ws:  # transactions are numbered in invocation order
                p = txns.process[t]
                if p in last:
                    _precedes(g, facts, k, last[p], t, PROCESS, RW_PROCESS)
                last[p] = v
        if realtime:
            _realtime_writes(g, facts, txns, k, ws)


def _known_writers(k: Any, facts: RegisterFacts, txns: Txns) -> list[int]:
    """Writers of k that certainly committed: ok, or info with some write read by someone."""
    return [u for u in facts.writer.get(k, {}).values()
            if txns.status[u] == OK or u in facts.seen_info]


def _precedes(g: Graph, facts: RegisterFacts, k: Any, before: Any, t: int, ww: int,
              rw: int) -> None:
    """Version ``before`` of k precedes the one ``t`` wrote: edges from its writer and readers."""
    w = facts.writer.get(k, {}).get(before)
    if w is not None and w != t:
        g.add(w, t, ww)
    for r in facts.readers.get((k, before), ()):
        if r != t:
            g.add(r, t, rw)


def _realtime_writes(g: Graph, facts: RegisterFacts, txns: Txns, k: Any,
                     ws: list[tuple[int, Any]]) -> None:
    """Writes of k whose transactions are ordered in real time, as a transitive reduction (the
    frontier sweep of :func:`._graph.realtime_edges`, restricted to k's writers)."""
    events = sorted([(txns.invoke[t], 0, t, v) for t, v in ws]
                    + [(txns.complete[t], 1, t, v) for t, v in ws])
    frontier: dict[int, Any] = {}
    preds: dict[int, tuple[tuple[int, Any], ...]] = {}
    for _, is_completion, t, v in events:
        if not is_completion:
            preds[t] = tuple(frontier.items())
            for _, before in preds[t]:
                _precedes(g, facts, k, before, t, REALTIME, RW_REALTIME)
        else:
            for u, _ in preds.pop(t, ()):
                frontier.pop(u, None)
            frontier[t] = v
