"""The cloud audit: ``isolde run --store dynamodb`` against a real account, safely.

Before anything is sent: the plan (table, region, profile, op cap) and an upper bound on requests
and cost are printed, and ``--yes`` is required. The run is capped (``--max-ops``, default
``DEFAULT_MAX_OPS``); the table is isolde's own (``isolde-...``) and is deleted at the end, on
error and on Ctrl-C unless ``--keep``. Credentials come only from the standard chain (never from
flags), and nothing isolde writes contains them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ...._errors import UsageError
from ._cost import estimate
from ._store import DynamoDBStore

DEFAULT_MAX_OPS = 1000


def prepare(scenario: Any, store: DynamoDBStore, yes: bool, say: Any) -> Any:
    """Print the plan and the estimate; refuse without ``yes``. Returns the scenario, capped."""
    o = store.options
    max_ops = scenario.max_ops or DEFAULT_MAX_OPS
    attempts = 1 + max(0, o.retries)
    requests, cost = estimate(scenario.workload, max_ops, attempts, o.region)
    where = o.endpoint_url or f"AWS region {o.region or '(from your AWS config)'}"
    say(f"cloud audit: table {store.table} (on-demand) at {where}"
        + (f", profile {o.profile}" if o.profile else ""))
    say(f"  at most {max_ops} ops of {scenario.workload}: <= {requests} requests, "
        f"estimated cost <= ${cost:.4f}")
    say("  the table is deleted at the end" + (" -- except with --keep, which keeps it"
                                                if not o.keep else ": no, --keep keeps it"))
    if not yes:
        raise UsageError("cloud audit not started: rerun with --yes to accept the plan above")
    return dataclasses.replace(scenario, max_ops=max_ops)


def report(store: DynamoDBStore, say: Any) -> None:
    """Print what the run actually asked for and what it is estimated to cost."""
    u = store.usage
    per_api = ", ".join(f"{k} {v}" for k, v in sorted(u.requests.items()))
    say(f"cloud audit: {u.total_requests} requests ({per_api}); "
        f"{u.wru:g} WRU, {u.rru:g} RRU; estimated cost ${u.cost(store.options.region):.4f}")
