"""Requests and request units (RU) for the cloud audit, and an upper bound on them and their cost.

Cosmos DB charges every request in RU and says how many in its ``x-ms-request-charge`` response
header: the run's usage is the sum of those headers, not a guess. A 429 (throttled) answer is
not charged. The bound assumes isolde's documents (``{"id", "v"}``, well under 1 KB) and the
default indexing policy. The result is an estimate, not a bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ._client import CAS_ATTEMPTS

# USD: serverless, per million RU consumed; provisioned (standard, manual), per 100 RU/s per
# hour the container exists (each hour started is billed in full), per region. Azure's list
# prices for the costliest regions we know of, so an estimate errs high. Edit when they change.
SERVERLESS_PER_MILLION_RU = 0.25
PROVISIONED_PER_100_RUS_HOUR = 0.008
# Worst charge of one request on a small document: a point read is 1 RU, a query by id about
# 3; a create, upsert or replace of a small document about 6 to 10.
READ_RU = 3.0
WRITE_RU = 15.0
# The account read, create database, create container, delete database, and the metadata the
# SDK reads once and caches (the account again, the container, its partition key ranges).
SETUP_REQUESTS = 8


@dataclass
class Usage:
    """What the run asked of Cosmos DB: requests sent (throttled ones included), how many were
    answered 429, and the RU charged (summed from the response headers)."""

    requests: int = 0
    throttled: int = 0
    ru: float = 0.0

    def add(self, status: int, charge: float) -> None:
        self.requests += 1
        self.throttled += status == 429
        self.ru += charge


class Bound(NamedTuple):
    requests: int
    ru: float


def worst_case(max_ops: int, throttle_retries: int) -> Bound:
    """An upper bound on what ``max_ops`` register (or causal) ops can use. The worst op is a
    CAS that reads and replaces ``CAS_ATTEMPTS`` times; every request may be throttled and
    resent ``throttle_retries`` times (a 429 costs no RU)."""
    per_op_requests = 2 * CAS_ATTEMPTS * (1 + throttle_retries)
    per_op_ru = CAS_ATTEMPTS * (READ_RU + WRITE_RU)
    return Bound(max_ops * per_op_requests + SETUP_REQUESTS, max_ops * per_op_ru)


def serverless_cost(ru: float) -> float:
    return ru * SERVERLESS_PER_MILLION_RU / 1e6


def provisioned_cost_per_hour(rus: int) -> float:
    return rus / 100 * PROVISIONED_PER_100_RUS_HOUR
