"""The cloud audit: ``isolde run --store dynamodb`` against a real account, safely.

Before anything is sent: the plan (table, region, profile, op cap) and an upper bound on requests
and cost are printed, and ``--yes`` is required. The run is capped (``--max-ops``, default
``DEFAULT_MAX_OPS``); the table is isolde's own (``isolde-...``) and is deleted at the end, on
error and on Ctrl-C unless ``--keep``. Credentials come only from the standard chain (never from
flags), and nothing isolde writes contains them; without a region or credentials the audit is
refused before the plan.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ...._errors import UsageError
from ._api import DynamoOptions
from ._cost import estimate
from ._store import DynamoDBStore

DEFAULT_MAX_OPS = 1000


def _region_with_credentials(o: DynamoOptions) -> str:
    """The region the audit will use, found the way boto3 finds it, provided credentials can be
    found too; else UsageError -- before any plan is printed or request sent."""
    try:
        from botocore.exceptions import ProfileNotFound
        from botocore.session import Session
    except ImportError:
        raise UsageError("the cloud audit needs botocore: pip install 'isolde[dynamodb]'") from None
    try:
        session = Session(profile=o.profile)
        region = o.region or session.get_config_variable("region")
        credentials = session.get_credentials()
    except ProfileNotFound:
        raise UsageError(f"AWS profile {o.profile!r} not found") from None
    if not region:
        raise UsageError("cloud audit: no AWS region: pass --region or set AWS_DEFAULT_REGION")
    if credentials is None:
        raise UsageError("cloud audit: no AWS credentials found (environment, --profile, config "
                         "files or an instance role)")
    return str(region)


def prepare(scenario: Any, store: DynamoDBStore, yes: bool, say: Any) -> Any:
    """Print the plan and the estimate; refuse without ``yes``. Returns the scenario, capped."""
    o = store.options
    region = _region_with_credentials(o)
    max_ops = scenario.max_ops or DEFAULT_MAX_OPS
    attempts = 1 + max(0, o.retries)
    requests, cost = estimate(scenario.workload, max_ops, attempts, region)
    where = o.endpoint_url or f"AWS region {region}"
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
