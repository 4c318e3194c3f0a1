"""Document operations counted for the cloud audit, and an upper bound on them and their cost.

Firestore bills per document read (a get of a missing document included), written and deleted.
The result is an estimate, not a bill.
"""

from __future__ import annotations

from dataclasses import dataclass

from ....workloads.list_append import MAX_TXN_LEN

# USD per 100,000 documents (reads, writes, deletes): Google's list prices for multi-region
# locations (nam5, eur3), the highest we know of; regional locations cost about half, so an
# estimate errs high. Edit when prices change.
PRICES = (0.06, 0.18, 0.02)
# isolde's limits on what one op can touch: a txn has at most MAX_TXN_LEN micro-ops (each key
# read once and written once), a bank read reads every account (--accounts is at most 1000).
MAX_TXN_KEYS = MAX_TXN_LEN
MAX_ACCOUNTS = 1000
# Worst case of one attempt of one op: (document reads, document writes).
PER_OP_WORST: dict[str, tuple[int, int]] = {
    "register": (1, 1),
    "causal": (1, 1),
    "list-append": (MAX_TXN_KEYS, MAX_TXN_KEYS),
    "rw-register": (MAX_TXN_KEYS, MAX_TXN_KEYS),
    "bank": (MAX_ACCOUNTS, MAX_ACCOUNTS),  # a bank read; init writes every account once
    # an append (or a final read of several keys), and the snapshot listener's read of the
    # document it changed: a listener is billed one read per document it delivers
    "stream": (MAX_TXN_KEYS + 1, 1),
}
_DEFAULT_WORST = (MAX_ACCOUNTS, MAX_ACCOUNTS)


@dataclass
class Usage:
    """Documents read, written and deleted by the run (attempts that aborted included)."""

    reads: int = 0
    writes: int = 0
    deletes: int = 0

    def cost(self) -> float:
        r, w, d = PRICES
        return (self.reads * r + self.writes * w + self.deletes * d) / 1e5


def estimate(workload: str, max_ops: int, attempts: int) -> Usage:
    """An upper bound on what ``max_ops`` ops of ``workload`` can use, every transaction
    attempted ``attempts`` times, and every document written deleted at the end."""
    reads, writes = PER_OP_WORST.get(workload, _DEFAULT_WORST)
    n = max_ops * attempts
    return Usage(reads=n * reads + 1, writes=n * writes, deletes=n * writes)
