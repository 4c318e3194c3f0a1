"""``--store cosmos``: a real Cosmos DB account, safely (the cloud audit, :class:`isolde.harness.
Audited`). The endpoint comes from ``--endpoint-url`` or ``COSMOS_ENDPOINT``; the credential only
from the environment: the account key in ``COSMOS_KEY``, else Azure AD through azure-identity's
``DefaultAzureCredential`` (``pip install 'isolde[cosmos-aad]'``). isolde has no credential flag
and never writes one anywhere. Nothing is sent before the plan is accepted with ``--yes``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...._errors import UsageError
from ..._options import option
from ..._store import READ_MODES, AuditPlan
from ._client import LEVELS
from ._cost import provisioned_cost_per_hour, serverless_cost, worst_case
from ._store import CosmosOptions, CosmosStoreBase

ENDPOINT_ENV = "COSMOS_ENDPOINT"
KEY_ENV = "COSMOS_KEY"
SERVERLESS = "serverless"
MIN_RUS = 400  # the least a container can be provisioned with
_MODE_OF_LEVEL = {level: mode for mode, level in LEVELS.items()}


def _throughput(value: str) -> str:
    if value != SERVERLESS and not (value.isdigit() and int(value) >= MIN_RUS):
        raise UsageError(f"--throughput {value!r}: expected {SERVERLESS}, or the RU/s to "
                         f"provision (an integer, at least {MIN_RUS})")
    return value


def _locations(value: str) -> str:
    if not all(r.strip() for r in value.split(",")):
        raise UsageError(f"--preferred-locations {value!r}: expected regions separated by "
                         "commas (e.g. 'West Europe,North Europe')")
    return value


@dataclass
class CloudOptions(CosmosOptions):
    """``--store cosmos``: a real account (or an emulator at ``--endpoint-url``)."""

    endpoint_url: str | None = option(None, f"the account's endpoint (default: ${ENDPOINT_ENV});"
                                      " an emulator's URL takes the same code path",
                                      metavar="URL")
    throughput: str | None = option(None, f"required: {SERVERLESS} (the account must be), or the"
                                    f" RU/s to provision on the run's container (>= {MIN_RUS})",
                                    parse=_throughput, metavar="serverless|RU/S")
    preferred_locations: str | None = option(None, "regions to route requests to, in order, "
                                             "comma-separated (a multi-region account)",
                                             parse=_locations, metavar="REGIONS")
    yes: bool = option(False, "accept the cloud audit's plan and estimated cost")


class CosmosStore(CosmosStoreBase):
    """The database and container ``isolde-<run id>`` in a Cosmos DB account."""

    name = "cosmos"
    default_max_ops = 1000
    options: CloudOptions

    def __init__(self, options: CloudOptions | None = None, seed: int = 0) -> None:
        super().__init__(options or CloudOptions(), seed)
        self.account_level: str | None = None  # the account's default consistency
        self.staleness: tuple[int, float] | None = None  # Bounded Staleness: (K, T seconds)
        self._aad: Any = None  # an Azure AD credential, closed at teardown

    @property
    def preferred_locations(self) -> Sequence[str]:
        pl = self.options.preferred_locations
        return [r.strip() for r in pl.split(",")] if pl else []

    def _url(self) -> str:
        url = self.options.endpoint_url or os.environ.get(ENDPOINT_ENV)
        if not url:
            raise UsageError(f"--store cosmos: no endpoint: set {ENDPOINT_ENV} or pass "
                             "--endpoint-url")
        return url

    def _credential(self) -> Any:
        key = os.environ.get(KEY_ENV)
        if key:
            return key
        if self._aad is None:
            self._aad = _default_azure_credential()
        return self._aad

    def audit_plan(self, workload: str, max_ops: int) -> AuditPlan:
        o = self.options
        url = self._url()  # refused here, before any plan, without an endpoint
        if o.throughput is None:
            raise UsageError("--store cosmos needs --throughput: serverless, or the RU/s to "
                             "provision (what the run costs depends on it)")
        credential = _credential_source()  # refused here, before any plan, without one
        bound = worst_case(max_ops, o.throttle_retries)
        if o.throughput == SERVERLESS:
            cost = (f"serverless: <= {bound.ru:g} RU, estimated cost <= "
                    f"${serverless_cost(bound.ru):.4f}")
        else:
            rus = int(o.throughput)
            cost = (f"{rus} RU/s provisioned: estimated cost <= "
                    f"${provisioned_cost_per_hour(rus):.4f} per hour the container exists "
                    "(each hour started is billed), per region of the account")
        lines = (
            f"cloud audit: Cosmos DB at {url} ({credential}), database and container "
            f"{self.database}",
            f"  at most {max_ops} ops of {workload}: <= {bound.requests} requests; {cost}",
            "  the database is deleted at the end" + (
                ": no, --keep keeps it" if o.keep else " -- except with --keep"),
        )
        return AuditPlan(lines, accepted=o.yes)

    def audit_report(self) -> str:
        u = self.usage
        cost = (f"estimated cost ${serverless_cost(u.ru):.4f}"
                if self.options.throughput == SERVERLESS else "billed by the hour provisioned")
        return (f"cloud audit: {u.requests} requests ({u.throttled} answered 429); "
                f"{u.ru:g} RU charged; {cost}")

    def _container_options(self) -> dict[str, Any]:
        t = self.options.throughput
        return {} if t in (None, SERVERLESS) else {"offer_throughput": int(t)}

    async def _check_account(self) -> None:
        """Read the account's default consistency: a request may only relax it, so a stronger
        ``--read-consistency`` is refused here, before anything is created."""
        # azure-cosmos 4.17.1's async client has no public account read (its sync one has).
        account = await self.admin._get_database_account()
        policy: Mapping[str, Any] = account.ConsistencyPolicy or {}
        self.account_level = level = str(policy.get("defaultConsistencyLevel", ""))
        if level == LEVELS["bounded"]:
            self.staleness = (int(policy.get("maxStalenessPrefix", 0)),
                              float(policy.get("maxIntervalInSeconds", 0)))
        check_level(self.options.default_read, level)

    async def _check_container(self, container: Any) -> None:
        """``serverless`` on an account that provisions throughput gives the container RU/s
        all the same (billed by the hour, unlike the plan's serverless bound): refused, and the
        database deleted at once. Only a serverless account has no offer to read."""
        if self.options.throughput != SERVERLESS:
            return
        try:
            offer = await container.get_throughput()
        except Exception:
            return  # serverless: "Reading or replacing offers is not supported"
        rus = offer.offer_throughput
        raise UsageError(f"--throughput serverless, but the account is not serverless: the "
                         f"container got {rus} RU/s (pass --throughput {rus} to run on it)")

    def read_promises(self) -> dict[str, Any]:
        """A Bounded Staleness account's K (versions) and T (seconds), read from the account:
        what its bounded reads promise (:class:`isolde.harness.Promising`)."""
        if self.staleness is None:
            return {}
        k, t = self.staleness
        return {"bounded_versions": k, "bounded_ms": t * 1000.0}

    async def _stop_backend(self) -> None:
        """No backend to stop: only the Azure AD credential's HTTP session to close."""
        if self._aad is not None:
            await self._aad.close()
            self._aad = None


_NO_CREDENTIAL = (f"--store cosmos: no credential: set {KEY_ENV}, or pip install "
                  "'isolde[cosmos-aad]' to sign in with Azure AD (DefaultAzureCredential)")


def _credential_source() -> str:
    """Where the credential will come from (for the plan); UsageError when from nowhere."""
    if os.environ.get(KEY_ENV):
        return f"the key in ${KEY_ENV}"
    try:
        found = importlib.util.find_spec("azure.identity") is not None
    except ImportError:  # azure itself is missing
        found = False
    if not found:
        raise UsageError(_NO_CREDENTIAL)
    return "Azure AD (DefaultAzureCredential)"


def _default_azure_credential() -> Any:
    try:
        from azure.identity.aio import DefaultAzureCredential
    except ImportError:
        raise UsageError(_NO_CREDENTIAL) from None
    return DefaultAzureCredential()


def check_level(mode: str, account_level: str) -> None:
    """Refuse a read mode stronger than the account's default level (Cosmos DB lets a request
    only relax it), in one line naming that level."""
    account_mode = _MODE_OF_LEVEL.get(account_level)
    if account_mode is None:
        raise UsageError(f"--store cosmos: the account's default consistency {account_level!r} "
                         "is not one isolde knows")
    if READ_MODES.index(mode) < READ_MODES.index(account_mode):
        raise UsageError(f"--read-consistency {mode} ({LEVELS[mode]}) is stronger than the "
                         f"account's default consistency {account_level}: a request may only "
                         f"relax it (use --read-consistency {account_mode} or weaker)")
