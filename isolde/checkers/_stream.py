"""The ``change-stream`` checker: did every committed write reach the stream, once, in order?

Input: appends ``["append", k, v]`` in ``txn`` ops (values unique per key), the consumer's
``event`` ops (ok, value ``[k, new image]``: the key's whole list after the write, so its last
element names the write and its length its place in the key's version order) and the final
reads (``txn`` ops with ``final`` set). Full text in docs/change-streams.md.

- ``lost-event``: an ok append no record names (the consumer read until the stream settled);
- ``phantom-event``: a record naming an append that failed, or a value nobody appended (or an
  image naming no append at all);
- ``duplicate-event``: a second record for the same append;
- ``reordered-event``: a record whose image is a strict prefix of one received before it for
  the key (an older version after a newer one);
- ``audit-mismatch``: replaying the records in the order received (the last image of each key
  wins, as a naive projection does) disagrees with a key's final read;
- appends that ended ``info`` are counted as seen or not, never an anomaly;
- lag: receive time minus the append's ok completion (0 when the record came first), p50 /
  p99 / max; a gate (``stream-lag-sla-exceeded``) only with ``CheckConfig.stream_lag_sla``.

Duplicates and reorders are anomalies only where the stream promises otherwise (options
``stream_exactly_once``, ``stream_ordered_per_key``; both default true, as DynamoDB Streams
promise); where it does not they are counted and allowed.

A stream of *states* (option ``stream_every_write`` false: Firestore's snapshot listeners) may
fold two quick writes into one record, so a record delivers every append its image holds, not
only its last: an ok append is lost only when no image of its key ever contains it (a skipped
intermediate state is no loss), each value of an image is checked for a phantom once, and lag
runs to the first image that contains the append.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ..histories import History, Op, hashable
from ._base import CheckConfig
from ._result import UNKNOWN, Anomaly, Result, Validity
from ._sla import Limit, parse_sla
from ._stats import nearest_rank
from ._values import show_value

MAX_LISTED = 100  # anomalies listed per type; anomaly_counts has the totals
LAG_SLA_FLAG = "--stream-lag-sla"
ALWAYS = ("lost-event", "phantom-event", "audit-mismatch")
# The options of a stream of states (a Firestore listener): a record may carry several writes,
# and a state may come again (a listener opened anew starts with every document as it is).
STREAM_STATES = {"stream_every_write": False, "stream_exactly_once": False}


def parse_lag_sla(spec: str) -> tuple[Limit, ...]:
    """``p99=500ms,max=2s``: time metrics only (UsageError otherwise)."""
    return parse_sla(spec, LAG_SLA_FLAG, metrics=())


@dataclass
class Write:
    index: int  # the invocation
    type: str  # its completion's type (info when it has none)
    done_ns: int | None  # the ok completion's time


@dataclass
class Event:
    index: int  # the ok completion (received at its time)
    key: Hashable
    image: Any
    time: int


@dataclass
class Parsed:
    writes: dict[tuple[Hashable, Any], Write] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    final: dict[Hashable, Any] = field(default_factory=dict)  # key -> its last final read


def parse(history: History) -> Parsed:
    """Appends, records (in the order received) and final reads; ops by position."""
    out = Parsed()
    for i in history.invocations():
        inv, j = history[i], history.pair(i)
        done = history[j] if j >= 0 else None
        if inv.f == "txn" and isinstance(inv.value, list):
            _parse_txn(out, i, inv.value, inv.extra, done)
        elif inv.f == "event" and done is not None and done.type == "ok":
            v = done.value
            if isinstance(v, list) and len(v) == 2:
                out.events.append(Event(j, hashable(v[0]), v[1], done.time))
    out.events.sort(key=lambda e: e.index)
    return out


def _parse_txn(out: Parsed, index: int, mops: list[Any], extra: Any, done: Op | None) -> None:
    kind = "info" if done is None else done.type
    done_ns = done.time if done is not None and kind == "ok" else None
    for m in mops:
        if isinstance(m, list) and len(m) == 3 and m[0] == "append":
            out.writes[(hashable(m[1]), hashable(m[2]))] = Write(index, kind, done_ns)
    if done is not None and kind == "ok" and extra.get("final") and isinstance(done.value, list):
        for m in done.value:
            if isinstance(m, list) and len(m) == 3 and m[0] == "r":
                out.final[hashable(m[1])] = m[2]


class ChangeStreamChecker:
    name = "change-stream"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config or CheckConfig()
        sla = self.config.stream_lag_sla
        self.sla = parse_lag_sla(sla) if sla else ()
        opts = self.config.options
        self.exactly_once = bool(opts.get("stream_exactly_once", True))
        self.ordered = bool(opts.get("stream_ordered_per_key", True))
        self.every_write = bool(opts.get("stream_every_write", True))

    def check(self, history: History) -> Result:
        p = parse(history)
        if not p.writes:
            return Result(UNKNOWN, [], {"reason": "no appends to follow on a stream"})
        judge = _Judge(history, p, self.exactly_once, self.every_write)
        judge.events()
        judge.lost()
        judge.audit()
        data = judge.figures()
        data["promises"] = {"exactly_once": self.exactly_once, "ordered_per_key": self.ordered,
                            "every_write": self.every_write}
        allowed = [t for t, ok in (("duplicate-event", not self.exactly_once),
                                   ("reordered-event", not self.ordered)) if ok]
        if allowed:
            data["allowed_anomalies"] = allowed
        gates = [*ALWAYS, *(t for t in ("duplicate-event", "reordered-event")
                            if t not in allowed)]
        valid: Validity = not any(judge.counts.get(t) for t in gates)
        if self.sla:
            valid = self._gate(judge, data) and valid
        data["anomaly_counts"] = dict(sorted(judge.counts.items()))
        return Result(valid, judge.anomalies, data)

    def _gate(self, judge: _Judge, data: dict[str, Any]) -> bool:
        checks = []
        for lim in self.sla:
            actual = float(data["lag_ms"][lim.metric])
            ok = actual <= lim.limit
            checks.append({**lim.to_json(), "actual": actual, "ok": ok})
            if not ok:
                judge.add(Anomaly(
                    "stream-lag-sla-exceeded", (),
                    f"stream lag SLA {lim.text} exceeded: measured {lim.metric} = {actual:g} ms, "
                    f"limit {lim.limit:g} ms, over {data['lag_ms']['events']} records",
                    {"metric": lim.metric, "limit": lim.limit, "actual": actual}))
        data["sla"] = checks
        return all(c["ok"] for c in checks)


class _Judge:
    """One pass over the records, then over the appends and the final reads."""

    def __init__(self, history: History, parsed: Parsed, exactly_once: bool,
                 every_write: bool) -> None:
        self.h = history
        self.p = parsed
        self.exactly_once = exactly_once
        self.every_write = every_write
        self.anomalies: list[Anomaly] = []
        self.counts: dict[str, int] = {}
        self.seen: dict[tuple[Hashable, Any], int] = {}  # append -> the first record naming it
        # append -> the first record delivering it: the one naming it, or (a stream of states)
        # the first whose image contains it
        self.delivered: dict[tuple[Hashable, Any], int] = {}
        self.lags: list[float] = []
        self.info_seen = 0

    def add(self, a: Anomaly) -> None:
        n = self.counts.get(a.type, 0)
        self.counts[a.type] = n + 1
        if n < MAX_LISTED:
            self.anomalies.append(a)

    def events(self) -> None:
        newest: dict[Hashable, list[Any]] = {}  # key -> the longest image received so far
        for e in self.p.events:
            img = e.image
            if not (isinstance(img, list) and img):
                self._phantom(e, "names no append (its image is not a non-empty list)")
                continue
            w = (e.key, hashable(img[-1]))
            if w in self.seen:
                self._duplicate(e, self.seen[w])
                continue
            self.seen[w] = e.index
            self._deliver(e, img)
            top = newest.get(e.key)
            if top is not None and len(img) < len(top) and top[:len(img)] == img:
                self.add(Anomaly(
                    "reordered-event", (e.index,),
                    f"{self.h.cite(e.index)}: key {show_value(e.key)}'s record of version "
                    f"{len(img)} arrived after one of version {len(top)}",
                    {"key": e.key, "version": len(img), "after_version": len(top)}))
            else:
                newest[e.key] = img

    def _deliver(self, e: Event, img: list[Any]) -> None:
        """The appends ``e`` delivers first: the one its image names, or (a stream of states)
        every one its image holds."""
        for v in (img[-1:] if self.every_write else img):
            d = (e.key, hashable(v))
            if d not in self.delivered:
                self.delivered[d] = e.index
                self._match(e, d)

    def _match(self, e: Event, w: tuple[Hashable, Any]) -> None:
        write = self.p.writes.get(w)
        if write is None:
            self._phantom(e, f"names value {show_value(w[1])}, which nobody appended")
        elif write.type == "fail":
            self._phantom(e, f"names the append of {self.h.cite(write.index)}, which failed")
        elif write.type == "info":
            self.info_seen += 1
        elif write.done_ns is not None:
            self.lags.append(max(0, e.time - write.done_ns) / 1e6)

    def _phantom(self, e: Event, why: str) -> None:
        self.add(Anomaly("phantom-event", (e.index,),
                         f"{self.h.cite(e.index)}: a record for key {show_value(e.key)} {why}",
                         {"key": e.key, "image": e.image}))

    def _duplicate(self, e: Event, first: int) -> None:
        promise = ("the stream promises each record exactly once" if self.exactly_once
                   else "the stream does not promise exactly once: allowed")
        self.add(Anomaly("duplicate-event", (first, e.index),
                         f"{self.h.cite(e.index)} repeats the record of {self.h.cite(first)} "
                         f"(key {show_value(e.key)}, version {len(e.image)}); {promise}",
                         {"key": e.key, "exactly_once": self.exactly_once}))

    def lost(self) -> None:
        missing = ("no record of it arrived" if self.every_write else
                   "no record's image of the key contains it (a stream of states: any later "
                   "state would carry it)")
        for (k, v), w in self.p.writes.items():
            if w.type == "ok" and (k, v) not in self.delivered:
                self.add(Anomaly(
                    "lost-event", (w.index,),
                    f"{self.h.cite(w.index)} appended {show_value(v)} to key {show_value(k)} "
                    f"and was acknowledged, but {missing} before the stream settled",
                    {"key": k, "value": v}))

    def audit(self) -> None:
        projection: dict[Hashable, Any] = {}
        for e in self.p.events:  # replayed in the order received
            projection[e.key] = e.image
        for k, read in self.p.final.items():
            got = projection.get(k) or []
            if got != (read or []):
                self.add(Anomaly(
                    "audit-mismatch", (),
                    f"key {show_value(k)}: replaying the stream gives {show_value(got)} but "
                    f"the final read gave {show_value(read or [])}",
                    {"key": k, "projected": got, "read": read or []}))

    def figures(self) -> dict[str, Any]:
        writes = self.p.writes.values()
        info = sum(w.type == "info" for w in writes)
        lags = sorted(self.lags)
        return {
            "events": len(self.p.events),
            "writes": {"ok": sum(w.type == "ok" for w in writes),
                       "fail": sum(w.type == "fail" for w in writes), "info": info},
            "info_writes": {"seen": self.info_seen, "unseen": info - self.info_seen},
            "lag_ms": {"events": len(lags), "p50": nearest_rank(lags, 0.5),
                       "p95": nearest_rank(lags, 0.95), "p99": nearest_rank(lags, 0.99),
                       "p999": nearest_rank(lags, 0.999), "max": lags[-1] if lags else 0.0},
            "audit": {"keys": len(self.p.final),
                      "mismatched": self.counts.get("audit-mismatch", 0)},
        }
