"""Request counting and cost estimates for the cloud audit (on-demand capacity).

Units follow DynamoDB's on-demand rules for items up to 1 KB (isolde's items are small):
a strongly consistent read is 1 read request unit (RRU), an eventual one 0.5; a write is 1 write
request unit (WRU); a transactional read or write costs twice that per item. Control-plane calls
(CreateTable, DescribeTable, DeleteTable) are free. The result is an estimate, not a bill.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# USD per million request units, on-demand, standard table class: AWS list prices for these
# regions after the November 2024 on-demand price cut. Other regions are priced at twice that,
# above the list prices we know of, so an estimate for them errs high. Edit when prices change.
PRICES: dict[str, tuple[float, float]] = {  # region -> (per million WRU, per million RRU)
    "us-east-1": (0.625, 0.125),
    "us-east-2": (0.625, 0.125),
    "us-west-2": (0.625, 0.125),
}
_FALLBACK = (1.25, 0.25)
# USD per GetRecords call on a table's stream (a streams read request unit, $0.02 per 100,000
# in these regions, before the monthly free tier), and twice that elsewhere, erring high.
STREAM_PRICES: dict[str, float] = {r: 0.02 / 1e5 for r in PRICES}
_STREAM_FALLBACK = 0.04 / 1e5
STREAM_READS = "get_records"  # the only billed call of a stream reader (Describe* are free)


def price(region: str | None) -> tuple[float, float]:
    return PRICES.get(region or "", _FALLBACK)


@dataclass
class Usage:
    """What the run asked of DynamoDB: requests by API name and request units consumed."""

    requests: dict[str, int] = field(default_factory=dict)
    wru: float = 0.0
    rru: float = 0.0

    def add(self, api: str, wru: float = 0.0, rru: float = 0.0) -> None:
        self.requests[api] = self.requests.get(api, 0) + 1
        self.wru += wru
        self.rru += rru

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def cost(self, region: str | None) -> float:
        w, r = price(region)
        stream = self.requests.get(STREAM_READS, 0) * stream_price(region)
        return (self.wru * w + self.rru * r) / 1e6 + stream


def stream_price(region: str | None) -> float:
    return STREAM_PRICES.get(region or "", _STREAM_FALLBACK)


def stream_estimate(max_ops: int, region: str | None, idle_polls_per_s: float
                    ) -> tuple[int, float, float]:
    """The stream consumer's GetRecords, which time bounds, not ops: while a shard is idle it is
    polled ``idle_polls_per_s`` times a second; a poll that finds records is followed at once by
    another, at most one per write. Returns (requests per minute per idle shard, USD per
    minute per idle shard, USD for the busy polls of ``max_ops`` writes)."""
    per_min = round(60 * idle_polls_per_s)
    p = stream_price(region)
    return per_min, per_min * p, max_ops * p


def units(api: str, params: dict[str, object]) -> tuple[float, float]:
    """(WRU, RRU) one call of ``api`` with ``params`` consumes."""
    if api == "get_item":
        return 0.0, 1.0 if params.get("ConsistentRead") else 0.5
    if api in ("put_item", "update_item", "delete_item"):
        return 1.0, 0.0
    if api == "scan":  # a page of at most SCAN_PAGE small items (< 160 bytes): < 16 KB read
        return 0.0, 4.0 if params.get("ConsistentRead") else 2.0
    items = params.get("TransactItems")
    n = len(items) if isinstance(items, list) else 0
    if api == "transact_write_items":
        return 2.0 * n, 0.0
    if api == "transact_get_items":
        return 0.0, 2.0 * n
    return 0.0, 0.0


# Worst case per workload op: (requests, WRU, RRU) for one attempt. list-append may read then
# write up to 5 keys transactionally; a bank transfer writes 2 items; a bank read may read many.
PER_OP_WORST: dict[str, tuple[int, float, float]] = {
    "register": (1, 1.0, 1.0),
    "list-append": (2, 10.0, 10.0),
    "bank": (4, 4.0, 40.0),
    # a transfer writes 3 items in one transaction; the final Scan is one page per 100 records
    "outbox": (4, 6.0, 40.0),
}
_DEFAULT_WORST = (2, 10.0, 40.0)


def estimate(workload: str, max_ops: int, attempts: int, region: str | None) -> tuple[int, float]:
    """An upper bound (requests, USD) for ``max_ops`` ops of ``workload`` with retries."""
    req, w, r = PER_OP_WORST.get(workload, _DEFAULT_WORST)
    n = max_ops * attempts
    pw, pr = price(region)
    setup = 3  # CreateTable, DescribeTable, DeleteTable (free, but they are requests)
    return n * req + setup, n * (w * pw + r * pr) / 1e6
