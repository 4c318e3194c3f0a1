"""The list-append and bank workload generators."""

from __future__ import annotations

import random
from collections import Counter

from isolde.harness import Context, OpSpec
from isolde.workloads import WorkloadOptions, make_workload


def ops(name: str, n: int, **opts: object) -> list[OpSpec]:
    w = make_workload(name, WorkloadOptions(keys=4, options=dict(opts)))
    gen = w.generator()
    rng = random.Random(1)
    out = []
    for i in range(n):
        spec = gen.next(Context(i, 0, 0, 1, rng))
        assert isinstance(spec, OpSpec)
        out.append(spec)
    return out


def test_list_append_txns() -> None:
    specs = ops("list-append", 3000, max_writes_per_key=8)
    appended: Counter = Counter()
    seen: set = set()
    keys: Counter = Counter()
    for s in specs:
        assert s.f == "txn" and 1 <= len(s.value) <= 4
        for f, k, v in s.value:
            assert f in ("r", "append")
            keys[k] += 1
            if f == "append":
                assert (k, v) not in seen  # unique per key
                seen.add((k, v))
                appended[k] += 1
            else:
                assert v is None
    assert max(appended.values()) <= 8  # bounded, then fresh keys
    assert len(keys) > 100


def test_list_append_key_skew() -> None:
    keys: Counter = Counter()
    for s in ops("list-append", 2000, max_writes_per_key=10**6):  # no retirement
        keys.update(k for _, k, _ in s.value)
    assert set(keys) == {0, 1, 2, 3}
    assert keys[0] > keys[1] > keys[2] > keys[3]  # weights 8 : 4 : 2 : 1


def test_list_append_final_reads_cover_every_key() -> None:
    w = make_workload("list-append", WorkloadOptions(keys=3, options={"max_writes_per_key": 2}))
    gen, rng = w.generator(), random.Random(2)
    touched = set()
    for i in range(200):
        spec = gen.next(Context(i, 0, 0, 1, rng))
        touched |= {k for _, k, _ in spec.value}
    final = w.final_generator()
    read: set = set()
    while (spec := final.next(Context(0, 0, 0, 1, rng))) is not None:
        assert all(f == "r" for f, _, _ in spec.value) and len(spec.value) <= 5
        read |= {k for _, k, _ in spec.value}
    assert touched <= read


def test_bank_ops() -> None:
    specs = ops("bank", 500, accounts=3, total=30, bank_mode="rmw")
    fs = Counter(s.f for s in specs)
    assert set(fs) == {"transfer", "read"}
    for s in specs:
        if s.f == "transfer":
            v = s.value
            assert v["from"] != v["to"] and 1 <= v["amount"] <= 5
            assert s.extra == {"bank_mode": "rmw"}
        else:
            assert s.value == {0: None, 1: None, 2: None}
    w = make_workload("bank", WorkloadOptions(options={"accounts": 3, "total": 31}))
    assert w.initial() == {0: 11, 1: 10, 2: 10}  # type: ignore[attr-defined]


def test_final_reads_only_touched_keys() -> None:
    """Issue 11: with --keys 1000000 the final reads read the few keys the run touched, not
    every active key."""
    w = make_workload("list-append", WorkloadOptions(keys=1_000_000, options={}))
    gen = w.generator()
    rng = random.Random(1)
    touched: set = set()
    for i in range(200):
        spec = gen.next(Context(i, 0, 0, 1, rng))
        assert isinstance(spec, OpSpec)
        touched.update(k for _, k, _ in spec.value)
    final = w.final_generator()
    assert final is not None
    read: set = set()
    for i in range(10_000):
        spec = final.next(Context(i, 0, 0, 1, rng))
        if not isinstance(spec, OpSpec):
            break
        read.update(k for _, k, _ in spec.value)
    assert read == touched and len(read) < 100
