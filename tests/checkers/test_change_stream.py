"""The change-stream checker on tiny hand-written histories: each anomaly with its exact count,
beside a near-identical history without it; and properties over generated clean streams."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isolde.checkers import CheckConfig, Result, make_checker
from isolde.histories import History, Op

MS = 1_000_000


def history(writes: list[tuple[str, int, int]], events: list[tuple[int, list[int]]],
            final: dict[int, list[int]] | None = None, event_gap_ms: int = 1) -> History:
    """Appends one after another (type, key, value), then the records as received (key,
    image), ``event_gap_ms`` apart, then a final read of ``final``."""
    ops: list[Op] = []
    t = 0

    def add(type: str, process: Any, f: str, value: Any, **extra: Any) -> None:
        nonlocal t
        ops.append(Op(len(ops), t, type, process, f, value, None, extra))
        t += MS

    for i, (kind, k, v) in enumerate(writes):
        add("invoke", i, "txn", [["append", k, v]])
        if kind != "info":
            add(kind, i, "txn", [["append", k, v]])
    for k, img in events:
        t += (event_gap_ms - 1) * MS
        add("invoke", "stream", "event", None)
        add("ok", "stream", "event", [k, img])
    if final is not None:
        mops = [["r", k, None] for k in final]
        add("invoke", "final", "txn", mops, final=True)
        add("ok", "final", "txn", [["r", k, v] for k, v in final.items()], final=True)
    return History(ops)


def check(h: History, **options: Any) -> Result:
    sla = options.pop("sla", None)
    return make_checker("change-stream", CheckConfig(options=options, stream_lag_sla=sla)).check(h)


OK2 = [("ok", 0, 1), ("ok", 0, 2)]
CLEAN = [(0, [1]), (0, [1, 2])]
# (name, history with the anomaly, its exact anomaly counts, a near-identical clean history)
CASES = [
    ("lost-event", history(OK2, [(0, [1])], {0: [1, 2]}),
     {"lost-event": 1, "audit-mismatch": 1}, history(OK2, CLEAN, {0: [1, 2]})),
    ("lost-event-middle", history(OK2, [(0, [1, 2])], {0: [1, 2]}),
     {"lost-event": 1}, history(OK2, CLEAN, {0: [1, 2]})),
    ("phantom-event-failed", history([("ok", 0, 1), ("fail", 0, 2)], CLEAN),
     {"phantom-event": 1}, history([("ok", 0, 1), ("fail", 0, 2)], CLEAN[:1])),
    ("phantom-event-unwritten", history(OK2, [*CLEAN, (0, [1, 2, 9])]),
     {"phantom-event": 1}, history(OK2, CLEAN)),
    ("duplicate-event", history(OK2, [(0, [1]), (0, [1]), (0, [1, 2])], {0: [1, 2]}),
     {"duplicate-event": 1}, history(OK2, CLEAN, {0: [1, 2]})),
    ("reordered-event", history(OK2, [(0, [1, 2]), (0, [1])], {0: [1, 2]}),
     {"reordered-event": 1, "audit-mismatch": 1}, history(OK2, CLEAN, {0: [1, 2]})),
    ("audit-mismatch", history(OK2, CLEAN, {0: [1]}),
     {"audit-mismatch": 1}, history(OK2, CLEAN, {0: [1, 2]})),
]


@pytest.mark.parametrize(("name", "bad", "counts", "good"), CASES, ids=[c[0] for c in CASES])
def test_each_anomaly_and_its_absence(name: str, bad: History, counts: dict[str, int],
                                      good: History) -> None:
    r = check(bad)
    assert r.valid is False
    assert r.data["anomaly_counts"] == counts
    for a in r.anomalies:
        assert a.explanation
    ok = check(good)
    assert ok.valid is True, ok.anomalies
    assert ok.data["anomaly_counts"] == {}


def test_anomalies_name_their_ops_and_keys() -> None:
    r = check(history(OK2, [(0, [1, 2]), (0, [1])], {0: [1, 2]}))
    reorder = next(a for a in r.anomalies if a.type == "reordered-event")
    assert reorder.ops == (7,) and reorder.data["key"] == 0
    audit = next(a for a in r.anomalies if a.type == "audit-mismatch")
    assert audit.data == {"key": 0, "projected": [1], "read": [1, 2]}
    assert "key 0" in audit.explanation


def test_info_writes_are_counted_never_flagged() -> None:
    writes = [("ok", 0, 1), ("info", 0, 2), ("info", 1, 1)]
    r = check(history(writes, [(0, [1]), (0, [1, 2])]))
    assert r.valid is True
    assert r.data["info_writes"] == {"seen": 1, "unseen": 1}
    assert r.data["writes"] == {"ok": 1, "fail": 0, "info": 2}


def test_duplicates_and_reorders_allowed_where_not_promised() -> None:
    h = history(OK2, [(0, [1]), (0, [1, 2]), (0, [1]), (0, [1, 2])])
    strict = check(h)
    assert strict.valid is False
    assert strict.data["anomaly_counts"] == {"duplicate-event": 2}
    loose = check(h, stream_exactly_once=False)
    assert loose.valid is True
    assert loose.data["allowed_anomalies"] == ["duplicate-event"]
    assert "does not promise exactly once" in loose.anomalies[0].explanation
    assert check(history(OK2, [(0, [1, 2]), (0, [1])]),
                 stream_ordered_per_key=False).valid is True


def test_lag_and_its_sla() -> None:
    # Writes complete at 1 and 3 ms; records arrive 10 ms apart after the last write.
    h = history(OK2, CLEAN, event_gap_ms=10)
    r = check(h)
    assert r.valid is True
    lag = r.data["lag_ms"]
    assert lag["events"] == 2 and lag["max"] == pytest.approx(max(lag["p50"], lag["p99"]))
    assert check(h, sla=f"max={lag['max'] + 1}ms").valid is True
    over = check(h, sla=f"p50={lag['p50'] / 2}ms")
    assert over.valid is False
    assert over.data["anomaly_counts"] == {"stream-lag-sla-exceeded": 1}


def test_no_appends_is_unknown() -> None:
    assert check(history([], [])).valid == "unknown"


# --- properties: a clean interleaving of per-key streams is valid; each drop is one loss --------
streams = st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=4)


@st.composite
def clean_stream(draw: st.DrawFn) -> tuple[list[tuple[str, int, int]], list[tuple[int, list]]]:
    sizes = draw(streams)  # appends per key
    writes = [("ok", k, v) for k, n in enumerate(sizes) for v in range(1, n + 1)]
    cursors = [0] * len(sizes)
    events: list[tuple[int, list]] = []
    order = draw(st.permutations([k for k, n in enumerate(sizes) for _ in range(n)]))
    for k in order:  # any interleaving across keys, commit order within each
        cursors[k] += 1
        events.append((k, list(range(1, cursors[k] + 1))))
    return writes, events


@settings(max_examples=60, deadline=None)
@given(clean_stream())
def test_clean_streams_are_valid(case: tuple[list, list]) -> None:
    writes, events = case
    final = {k: img for k, img in events}
    r = check(history(writes, events, final))
    assert r.valid is True, r.anomalies
    assert r.data["events"] == len(writes)


@settings(max_examples=60, deadline=None)
@given(clean_stream(), st.data())
def test_each_dropped_record_is_one_lost_event(case: tuple[list, list], data: st.DataObject
                                               ) -> None:
    writes, events = case
    drop = data.draw(st.sets(st.integers(0, len(events) - 1)))
    kept = [e for i, e in enumerate(events) if i not in drop]
    r = check(history(writes, kept))
    assert r.data["anomaly_counts"].get("lost-event", 0) == len(drop)
    assert set(r.data["anomaly_counts"]) <= {"lost-event"}


# --- a stream of states (Firestore's listeners): coalesced records are delivery, not loss --------
STATES = {"stream_every_write": False, "stream_exactly_once": False}
OK3 = [("ok", 0, 1), ("ok", 0, 2), ("ok", 0, 3)]
# (name, records, final read, exact anomaly counts as a stream of states)
STATE_CASES = [
    ("coalesced", [(0, [1, 2, 3])], {0: [1, 2, 3]}, {}),
    ("intermediate-skipped", [(0, [1]), (0, [1, 2, 3])], {0: [1, 2, 3]}, {}),
    ("final-state-never-arrives", [(0, [1])], {0: [1, 2, 3]},
     {"lost-event": 2, "audit-mismatch": 1}),
    ("nothing-arrives", [], {0: [1, 2, 3]}, {"lost-event": 3, "audit-mismatch": 1}),
    ("phantom-inside-an-image", [(0, [1, 9, 2, 3])], {0: [1, 2, 3]},
     {"phantom-event": 1, "audit-mismatch": 1}),
    ("older-state-after-newer", [(0, [1, 2, 3]), (0, [1])], {0: [1, 2, 3]},
     {"reordered-event": 1, "audit-mismatch": 1}),
]


@pytest.mark.parametrize(("name", "events", "final", "counts"), STATE_CASES,
                         ids=[c[0] for c in STATE_CASES])
def test_a_stream_of_states(name: str, events: list[tuple[int, list[int]]],
                            final: dict[int, list[int]], counts: dict[str, int]) -> None:
    r = check(history(OK3, events, final), **STATES)
    assert r.data["anomaly_counts"] == counts
    assert r.valid is (not counts)
    assert r.data["promises"] == {"exactly_once": False, "ordered_per_key": True,
                                  "every_write": False}


def test_coalesced_records_are_lost_events_only_where_every_write_is_promised() -> None:
    h = history(OK3, [(0, [1]), (0, [1, 2, 3])], {0: [1, 2, 3]})
    assert check(h).data["anomaly_counts"] == {"lost-event": 1}  # the skipped append of 2
    assert check(h, **STATES).valid is True


def test_a_failed_append_inside_a_state_is_a_phantom_once() -> None:
    writes = [("ok", 0, 1), ("fail", 0, 2), ("ok", 0, 3)]
    r = check(history(writes, [(0, [1, 2]), (0, [1, 2, 3])], {0: [1, 2, 3]}), **STATES)
    assert r.data["anomaly_counts"] == {"phantom-event": 1}
    (a,) = r.anomalies
    assert a.ops == (7,) and "failed" in a.explanation


def test_a_state_delivers_info_appends_and_lag_runs_to_the_first_state_holding_it() -> None:
    writes = [("ok", 0, 1), ("info", 0, 2), ("ok", 0, 3)]
    r = check(history(writes, [(0, [1, 2, 3])], event_gap_ms=10), **STATES)
    assert r.valid is True
    assert r.data["info_writes"] == {"seen": 1, "unseen": 0}
    assert r.data["lag_ms"]["events"] == 2  # both ok appends, from one record
