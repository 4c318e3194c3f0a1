"""The ``list-append`` checker (Elle's): transactions of appends and reads over lists.

Version orders come from the reads (:mod:`._append_infer`); ww / wr / rw edges from the orders;
process and realtime edges when a requested model needs them; then cycles per component and a
verdict against ``--consistency-models`` (default strict-serializable).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..._errors import BadInput
from ...histories import History
from .._base import CheckConfig
from .._result import Result
from ._anomaly import RW, WR, WW, Found, Step
from ._append_infer import AppendFacts, collect, infer_orders
from ._explain import Namer, fmt
from ._graph import Graph
from ._judge import Judge
from ._txns import Txns, extract_txns


def data_edges(g: Graph, facts: AppendFacts) -> None:
    """ww between successive writers of each key's order; wr from the writer of the last element
    an external read saw; rw from that read to the writer of the next element. Appends no read
    saw come after the whole order: ww from its last writer, rw from reads of all of it."""
    add = g.add
    src, dst, kind = g.src.append, g.dst.append, g.kind.append  # inlined add: the hot loop
    unread = facts.unread
    for k, ws in facts.writers.items():
        prev = -1
        for w in ws:
            if w >= 0:
                if prev >= 0 and w != prev:
                    src(prev)
                    dst(w)
                    kind(WW)
                prev = w
        if prev >= 0 and k in unread:
            for _, u in unread[k]:
                if u != prev:
                    add(prev, u, WW)
    writers = facts.writers
    for t, k, v, ext in zip(facts.read_t, facts.read_k, facts.read_v, facts.read_ext,
                            strict=True):
        if not ext:
            continue
        got = writers.get(k)
        if got is None:
            continue
        ws = got
        n = len(v)
        if n:
            w = ws[n - 1]
            if w >= 0 and w != t:
                src(w)
                dst(t)
                kind(WR)
        if n < len(ws):
            w = ws[n]
            if w >= 0 and w != t:
                src(t)
                dst(w)
                kind(RW)
        elif k in unread:
            for _, u in unread[k]:
                if u != t:
                    add(t, u, RW)


class AppendExplainer:
    """Why a ww / wr / rw edge between two list-append transactions holds."""

    def __init__(self, txns: Txns, facts: AppendFacts) -> None:
        self.txns, self.facts = txns, facts

    def _ext_reads(self, t: int) -> list[tuple[Any, Any]]:
        seen: set[Any] = set()
        out = []
        for f, k, v in self.txns.mops[t]:
            if k in seen:
                continue
            seen.add(k)
            if f == "r":
                out.append((k, v or []))
        return out

    def __call__(self, s: Step, name: Callable[[int], str]) -> tuple[str, dict[str, Any]] | None:
        a, b, facts = s.a, s.b, self.facts
        if s.kind == WR:
            for k, v in self._ext_reads(b):
                ws = facts.writers.get(k)
                if v and ws and ws[len(v) - 1] == a:
                    return (f"{name(b)} read {fmt(v)} of key {fmt(k)}, which includes "
                            f"{name(a)}'s append of {fmt(v[-1])}",
                            {"key": k, "value": list(v), "element": v[-1]})
        if s.kind == RW:
            for k, v in self._ext_reads(a):
                ws = facts.writers.get(k)
                if ws is None:
                    continue
                if len(v) < len(ws) and ws[len(v)] == b:
                    e = facts.orders[k][len(v)]
                    return (f"{name(a)} read {fmt(v)} of key {fmt(k)}, which does not include "
                            f"{name(b)}'s append of {fmt(e)}, the next element",
                            {"key": k, "value": list(v), "element": e})
                later = [e for e, u in facts.unread.get(k, ()) if u == b]
                if len(v) == len(ws) and later:
                    return (f"{name(a)} read {fmt(v)} of key {fmt(k)}, which does not include "
                            f"{name(b)}'s append of {fmt(later[0])} (no read saw it, so it "
                            f"came later)", {"key": k, "value": list(v), "element": later[0]})
        if s.kind == WW:
            for k, ws in facts.writers.items():
                if a not in ws or b not in ws:
                    continue
                order = facts.orders[k]
                for i in range(len(ws) - 1, -1, -1):
                    if ws[i] != a:
                        continue
                    j = next((j for j in range(i + 1, len(ws)) if ws[j] >= 0), -1)
                    if j >= 0 and ws[j] == b:
                        return (f"{name(b)} appended {fmt(order[j])} after {name(a)}'s append "
                                f"of {fmt(order[i])} to key {fmt(k)}",
                                {"key": k, "value": order[j], "after": order[i]})
            for k, unread in facts.unread.items():
                ws = facts.writers[k]
                last = next((w for w in reversed(ws) if w >= 0), -1)
                later = [e for e, u in unread if u == b]
                if last == a and later:
                    order = facts.orders[k]
                    return (f"{name(b)}'s append of {fmt(later[0])} to key {fmt(k)} is in no "
                            f"read, so it follows {fmt(list(order))}, which {name(a)} appended "
                            f"last to",
                            {"key": k, "value": later[0], "after": order[-1]})
        return None  # process and realtime edges explain themselves


def direct_text(f: Found, name: Namer) -> str:
    d = f.data
    k = fmt(d.get("key"))
    v = fmt(d.get("value"))
    t = f.txns
    if f.type == "G1a":
        return (f"{name(t[1])} read {v} of key {k}, which includes {fmt(d['element'])}, "
                f"appended by {name(t[0])}, which failed (an aborted read)")
    if f.type == "G1b":
        return (f"{name(t[1])} read {v} of key {k}, ending in {fmt(d['element'])}: an "
                f"intermediate state of {name(t[0])}, which appended more to key {k} later")
    if f.type == "dirty-update":
        return (f"in key {k}'s order {v}, {name(t[1])}'s append of {fmt(d['element'])} follows "
                f"{fmt(d['aborted'])}, appended by {name(t[0])}, which failed")
    if f.type == "garbage-read":
        return (f"{name(t[0])} read {v} of key {k}, which includes {fmt(d['element'])}, which "
                f"no transaction appended")
    if f.type == "duplicate-elements":
        return (f"{name(t[0])} read {v} of key {k}, which contains "
                f"{fmt(d['duplicates'])} more than once")
    if f.type == "incompatible-order":
        a, b = d["values"]
        return (f"{name(t[0])} read {fmt(a)} of key {k}, which is not a prefix of {fmt(b)}, "
                f"another read of it: the reads disagree on the order of appends")
    if f.type == "internal":
        return (f"{name(t[0])} read {v} of key {k}, but its own earlier operations imply "
                f"{fmt(d['expected'])}")
    if f.type == "nonrepeatable-read":
        return (f"{name(t[0])} read {v} of key {k} after reading it as {fmt(d['before'])}: "
                f"other transactions' appends appeared between its two reads")
    if f.type == "future-read":
        return (f"{name(t[0])} read {v} of key {k}, which includes {fmt(d['elements'])}, "
                f"which it appends only later")
    if f.type == "lost-update":
        who = ", ".join(name(x) for x in t)
        return (f"{who} each read key {k} as {v} and then appended to it: only one of these "
                f"updates can directly follow that version")
    return f"{f.type} on key {k}"


def _unhashable_element(txns: Txns) -> BadInput | TypeError:
    """BadInput naming the first micro-op appending, or reading, a list or map as an element
    (elements are compared and hashed); the TypeError itself if there is none (a bug)."""
    for t, ms in enumerate(txns.mops):
        for f, _k, v in ms:
            elements = [v] if f == "append" else v if isinstance(v, (list, tuple)) else ()
            if any(isinstance(x, (list, tuple, dict)) for x in elements):
                return BadInput(f"list-append elements must be scalars, got {f} {v!r}",
                                f"op {txns.op_index(t)}")
    return TypeError("unhashable list-append element")


class ListAppendChecker:
    """Elle's list-append checker; see the module docstring."""

    name = "list-append"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config or CheckConfig()
        Judge(self.config)  # refuse unknown model names before any work

    def check(self, history: History) -> Result:
        judge = Judge(self.config)
        return judge.within_budget(lambda: self._check(history, judge))

    def _check(self, history: History, judge: Judge) -> Result:
        txns = extract_txns(history)
        judge.checkpoint("reading the transactions")
        try:
            facts = collect(txns, judge.checkpoint)
            judge.checkpoint("collecting appends and reads")
            infer_orders(facts, txns)
        except TypeError:  # a list or map where elements are hashed: find it for the message
            raise _unhashable_element(txns) from None
        judge.checkpoint("inferring version orders")
        g = Graph(len(txns))
        data_edges(g, facts)
        judge.order_edges(g, txns, history)
        extra: dict[str, Any] = {"keys": len(facts.orders)}
        if facts.non_unique_appends:
            extra["non_unique_appends"] = facts.non_unique_appends
        return judge.verdict(history, txns, g, facts.found, AppendExplainer(txns, facts),
                             direct_text, extra)
