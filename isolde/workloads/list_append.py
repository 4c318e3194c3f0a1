"""The list-append workload (Elle's): transactions of appends and reads over lists.

Op contract (any store with the ``txn`` capability): f ``txn``, value a list of 1-5 micro-ops
``["append", k, v]`` and ``["r", k, None]``; the ok completion returns the same list with each
read's value filled in as the key's whole list (``["r", k, [1, 2, 3]]``, ``None`` or ``[]`` when
empty). Appended values are unique per key (1, 2, 3...), keys are integers. Keys are chosen from
``--keys`` active keys with an exponential skew (key ``i`` of the active ones with weight
``2**-i``); after ``--max-writes-per-key`` appends a key retires for a fresh one, so read lists
stay short. After the load, final reads read every key the run touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..harness._generators import (
    Context,
    FnGen,
    Generator,
    Lazy,
    Ops,
    OpSpec,
    exponential_index,
)
from ..harness._options import at_most, option, positive_int
from ._base import WorkloadOptions, WorkloadSpec

MAX_TXN_LEN = 5
READS_PER_FINAL_TXN = 5


@dataclass(frozen=True)
class TxnOptions:
    max_writes_per_key: int = option(32, "writes to a key before it retires", parse=positive_int)
    max_txn_length: int = option(4, f"micro-ops per transaction, at most {MAX_TXN_LEN}",
                                 parse=at_most(MAX_TXN_LEN))


class ListAppendWorkload:
    name = "list-append"
    op_kind = "list-append"
    needs = frozenset({"txn"})
    checkers: tuple[str, ...] = ("list-append", "stats")
    write = "append"  # the micro-op that changes a key

    def __init__(self, options: WorkloadOptions) -> None:
        self.options = options
        self.max_writes = int(options.options.get("max_writes_per_key", 32))
        self.max_len = int(options.options.get("max_txn_length", 4))
        self.txn_items = self.max_len  # distinct keys in one txn, at most
        first = options.first_key
        self.active: list[int] = list(range(first, first + options.keys))
        self.writes: dict[int, int] = {}  # key -> appends generated so far
        # Keys some op named: the final reads read these, not every active key (with
        # --keys 1000000 a short run touches a few dozen).
        self.touched: set[int] = set()
        self.next_key = first + options.keys

    def _key(self, ctx: Context) -> int:
        return self.active[exponential_index(ctx.rng, len(self.active))]

    def _append(self, k: int) -> int:
        n = self.writes.get(k, 0) + 1
        self.writes[k] = n
        if n >= self.max_writes:  # retire the key: its slot gets a fresh key
            self.active[self.active.index(k)] = self.next_key
            self.next_key += 1
        return n

    def txn(self, ctx: Context) -> OpSpec:
        mops: list[list[Any]] = []
        for _ in range(ctx.rng.randint(1, min(self.max_len, MAX_TXN_LEN))):
            k = self._key(ctx)
            self.touched.add(k)
            if ctx.rng.random() < 0.5:
                mops.append(["r", k, None])
            else:
                mops.append([self.write, k, self._append(k)])
        return OpSpec("txn", mops)

    def setup_generator(self) -> Generator | None:
        return None

    def generator(self) -> Generator:
        return FnGen(self.txn)

    def _final(self) -> Generator:
        keys = sorted(self.touched)
        specs = [
            OpSpec("txn", [["r", k, None] for k in keys[i:i + READS_PER_FINAL_TXN]],
                   {"final": True})
            for i in range(0, len(keys), READS_PER_FINAL_TXN)
        ]
        return Ops(specs)

    def keys_named(self) -> range:
        """Every key its transactions named, from ``first_key`` (:class:`KeyScoped`)."""
        return range(self.options.first_key, self.next_key)

    def final_generator(self) -> Generator | None:
        return Lazy(self._final)

    def checker_options(self) -> dict[str, Any]:
        return {}


class RwRegisterWorkload(ListAppendWorkload):
    """The same transactions with register writes ``["w", k, v]`` instead of appends (values
    unique per key); reads return the key's value. Judged by the ``rw-register`` checker."""

    name = "rw-register"
    op_kind = "rw-register"
    checkers: tuple[str, ...] = ("rw-register", "stats")
    write = "w"


LIST_APPEND = WorkloadSpec("list-append", "Elle's list-append transactions (needs txn)",
                           ListAppendWorkload, TxnOptions, reads=frozenset({"keys"}),
                           needs=ListAppendWorkload.needs)
RW_REGISTER = WorkloadSpec("rw-register", "register transactions with unique writes (needs txn)",
                           RwRegisterWorkload, TxnOptions, reads=frozenset({"keys"}),
                           needs=RwRegisterWorkload.needs)
