"""The DynamoDB stores: ``dynamodb`` (any endpoint: AWS itself, or an emulator you run), and
``dynamodb-local``, ``moto``, ``dynalite``, which start their emulator in ``setup`` and stop it
in ``teardown``.

Each run creates its own table ``isolde-<run id>`` and deletes it at teardown (``keep`` keeps it).
Table administration goes straight to the store's endpoint; the workers' client goes to
``set_client_endpoint`` when one is given (a fault proxy in between), else to the same endpoint.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ...._errors import IsoldeError
from ...._redact import redact_url, url_secrets
from ....histories import Op
from ..._plugin import Emulator, EmulatorRecipe
from ..._store import AuditPlan, ProcessControl
from ..._stream import POLL_INTERVAL
from ...emulators import HOST
from ._api import Api, DynamoOptions, Secrets
from ._audit import region_with_credentials
from ._client import DynamoClient
from ._cost import Usage, estimate, stream_estimate
from ._emulators import DYNALITE, DYNAMODB_LOCAL, MOTO
from ._errors import classify
from ._faults import new_client_faults
from ._ops import MAX_TXN_ITEMS
from ._stream import DynamoStream
from ._table import check_table_name, create_table, delete_table, new_table_name

log = logging.getLogger("isolde.dynamodb")

class StoreError(IsoldeError):
    """The store could not be set up (unreachable, refused, not permitted): one line, exit 255."""


CAPABILITIES = frozenset({"register", "cas", "txn", "read-modes", "multi-key-read", "bank",
                          "outbox", "change-stream"})
NO_TRANSACTIONS = frozenset({"register", "cas", "read-modes"})


class DynamoStoreBase:
    """What every DynamoDB store shares: the table, the clients, the client-path faults."""

    name = "dynamodb"
    capabilities = CAPABILITIES
    max_txn_items = MAX_TXN_ITEMS

    def __init__(self, options: DynamoOptions | None = None, seed: int = 0) -> None:
        self.options = options or DynamoOptions()
        self.seed = seed
        self.table = check_table_name(self.options.table or new_table_name())
        self.usage = Usage()
        self.secrets = Secrets()
        self.secrets.add(*url_secrets(self.options.endpoint_url))
        self.admin: Api | None = None
        self.data_api: Api | None = None
        self.run_dir: Path | None = None
        self._client_endpoint: tuple[str, int] | None = None
        self.client_faults = new_client_faults(seed)  # switched by the nemesis
        self._created = False
        self.stream = False  # create the table with a change stream (a stream workload)

    # -- what the nemesis and a fault proxy use ------------------------------------------------

    @property
    def endpoint(self) -> tuple[str, int] | None:
        """The store's host and port when it has an explicit endpoint (None: AWS itself)."""
        url = self._endpoint_url()
        if url is None:
            return None
        u = urlparse(url)
        return (u.hostname or HOST, u.port or (443 if u.scheme == "https" else 80))

    def set_client_endpoint(self, host: str, port: int) -> None:
        """Send the workers' requests to host:port (e.g. a proxy); before clients are opened."""
        if self.data_api is not None:
            raise RuntimeError("set_client_endpoint must be called before clients are opened")
        self._client_endpoint = (host, port)

    def attach_run_dir(self, run_dir: Path) -> None:
        """Where the run's files go (emulator logs)."""
        self.run_dir = run_dir

    # -- the change stream (:class:`isolde.harness.Streaming`) ----------------------------------

    def enable_stream(self) -> None:
        """The run's table -- only the table this run creates -- gets a stream (NEW_IMAGE)."""
        self.stream = True

    async def open_stream(self) -> DynamoStream:
        if self.admin is None:
            raise RuntimeError("open_stream before setup")
        url = self._endpoint_url()  # straight to the store, never through a fault proxy
        api = Api(self.options, url, self.usage, self.secrets, self.seed,
                  service="dynamodbstreams")
        await api.open()
        return DynamoStream(self.admin, api, self.table)

    def stream_promises(self) -> dict[str, Any]:
        """DynamoDB Streams: each record exactly once, in order per item
        (docs/change-streams.md)."""
        return {"stream_exactly_once": True, "stream_ordered_per_key": True}

    # -- lifecycle -------------------------------------------------------------------------------

    def _endpoint_url(self) -> str | None:
        return self.options.endpoint_url

    async def _start_backend(self) -> None:
        return None

    async def _stop_backend(self) -> None:
        return None

    async def setup(self) -> None:
        try:
            await self._start_backend()
            self.admin = Api(self.options, self._endpoint_url(), self.usage, self.secrets,
                             self.seed, admin=True)
            await self.admin.open()
            log.info("%s: creating table %s (region %s, endpoint %s)", self.name, self.table,
                     self.admin.region, redact_url(self._endpoint_url() or "AWS"))
            await create_table(self.admin, self.table, created=self._mark_created,
                               stream=self.stream)
        except BaseException as e:  # failed or interrupted (Ctrl-C) part way: undo it all
            try:
                await self._teardown(quiet=True)
            except Exception as t:  # the setup error is the one to report
                log.info("teardown after failed setup: %r", t)
            if isinstance(e, Exception) and not isinstance(e, IsoldeError):
                # One line for the user, with anything credential-like masked.
                detail = self.secrets.redact(f"{classify(e).kind}: {e}")
                raise StoreError(f"{self.name}: setup failed: {detail}") from None
            raise

    def _mark_created(self) -> None:
        """This run's CreateTable succeeded: the table is ours, so teardown deletes it. Nothing
        else sets this: a table found in place (refused as existing) is never deleted."""
        self._created = True

    async def teardown(self) -> None:
        """Close clients, delete the table unless ``keep``, stop the emulator. Never raises for
        one step failing before the others ran; the first error is re-raised at the end."""
        await self._teardown(quiet=False)

    async def _teardown(self, quiet: bool) -> None:
        errors: list[BaseException] = []
        if self.data_api is not None:
            with _collect(errors, quiet, self.secrets):
                await self.data_api.close()
            self.data_api = None
        if self.admin is not None:
            if self._created and not self.options.keep:
                with _collect(errors, quiet, self.secrets):
                    if await delete_table(self.admin, self.table):
                        log.info("%s: deleted table %s", self.name, self.table)
            elif self._created:
                log.warning("keeping table %s (--keep): delete it yourself when done",
                            self.table)
            self._created = False
            with _collect(errors, quiet, self.secrets):
                await self.admin.close()
            self.admin = None
        with _collect(errors, quiet, self.secrets):
            await self._stop_backend()
        if errors:
            raise errors[0]

    async def open_client(self, worker: int) -> DynamoClient:
        if self.data_api is None:
            url = self._endpoint_url()
            if self._client_endpoint is not None:
                host, port = self._client_endpoint
                url = f"http://{host}:{port}"
            self.data_api = Api(self.options, url, self.usage, self.secrets, self.seed)
            self.data_api.faults = self.client_faults
            await self.data_api.open()
        return DynamoClient(self)

    async def invoke(self, op: Op) -> Op:
        """One op outside a run (tests, the conformance suite)."""
        return await (await self.open_client(0)).invoke(op)


@contextlib.contextmanager
def _collect(errors: list[BaseException], quiet: bool, secrets: Secrets) -> Any:
    try:
        yield
    except Exception as e:
        (log.info if quiet else log.warning)("teardown: %s", secrets.redact(repr(e)))
        errors.append(e)


class DynamoDBStore(DynamoStoreBase):
    """DynamoDB at ``options.endpoint_url`` (None: AWS, chosen by region): the cloud audit.
    Nothing is sent before its plan is accepted (:class:`isolde.harness.Audited`)."""

    default_max_ops = 1000

    def audit_plan(self, workload: str, max_ops: int) -> AuditPlan:
        o = self.options
        region = region_with_credentials(o)  # refused here, before any plan, without them
        requests, cost = estimate(workload, max_ops, 1 + max(0, o.retries), region)
        where = redact_url(o.endpoint_url) if o.endpoint_url else f"AWS region {region}"
        lines: tuple[str, ...] = (
            f"cloud audit: table {self.table} (on-demand) at {where}"
            + (f", profile {o.profile}" if o.profile else ""),
            f"  at most {max_ops} ops of {workload}: <= {requests} requests, "
            f"estimated cost <= ${cost:.4f}",
            "  the table is deleted at the end" + (": no, --keep keeps it" if o.keep else
                                                   " -- except with --keep, which keeps it"),
        )
        if self.stream:
            lines += self._stream_plan(max_ops, region)
        return AuditPlan(lines, accepted=o.yes)

    def _stream_plan(self, max_ops: int, region: str) -> tuple[str, ...]:
        per_min, usd_min, busy = stream_estimate(max_ops, region, 1 / POLL_INTERVAL)
        return (
            f"  the table gets a stream (NEW_IMAGE), read as the run goes: <= {per_min} "
            f"GetRecords a minute per idle shard (<= ${usd_min:.4f} a minute) and <= {max_ops} "
            f"more for the records (<= ${busy:.4f}); time, not ops, bounds it: not in the "
            "bound above",
        )

    def audit_report(self) -> str:
        u = self.usage
        per_api = ", ".join(f"{k} {v}" for k, v in sorted(u.requests.items()))
        return (f"cloud audit: {u.total_requests} requests ({per_api}); "
                f"{u.wru:g} WRU, {u.rru:g} RRU; estimated cost ${u.cost(self.options.region):.4f}")


class EmulatedStore(DynamoStoreBase):
    """A DynamoDB store on an emulator isolde starts in ``setup`` and stops in ``teardown``
    (:class:`isolde.harness.Managed`: the nemesis may kill it, and pause it if ``pausable``)."""

    recipe: EmulatorRecipe
    pausable = True

    def __init__(self, options: DynamoOptions | None = None, seed: int = 0) -> None:
        # Never send the user's real keys to an emulator; its endpoint is the one it starts.
        options = dataclasses.replace(options or DynamoOptions(), dummy_credentials=True,
                                      endpoint_url=None)
        super().__init__(options, seed)
        self.emulator: Emulator | None = None

    @property
    def process_name(self) -> str:
        return self.recipe.name

    def _endpoint_url(self) -> str | None:
        ep = self.emulator.endpoint if self.emulator is not None else None
        return f"http://{ep[0]}:{ep[1]}" if ep else None

    @property
    def process_control(self) -> ProcessControl | None:
        """kill / restart / pause / resume of the emulator (None until it is started)."""
        return self.emulator.process_control if self.emulator is not None else None

    async def after_restart(self) -> None:
        """After the nemesis restarted a killed emulator: recreate the table if the emulator
        lost it with its memory (a persistent one keeps it, and its items)."""
        if self.admin is None or not self._created:
            return
        try:
            await self.admin.call("describe_table", idempotent=True, TableName=self.table)
        except Exception as e:
            code = (getattr(e, "response", None) or {}).get("Error", {}).get("Code")
            if code != "ResourceNotFoundException":
                raise
            log.info("%s: table %s lost with the process; recreating it", self.name, self.table)
            await create_table(self.admin, self.table, stream=self.stream)

    async def _start_backend(self) -> None:
        o = self.options
        self.emulator = self.recipe.make(
            port=o.port, persistent=o.persistent,
            data_dir=Path(o.data_dir) if o.data_dir else None, log_dir=self.run_dir,
        )
        await self.emulator.start()

    async def _stop_backend(self) -> None:
        if self.emulator is not None:
            await self.emulator.stop()


class DynamoDBLocalStore(EmulatedStore):
    name = "dynamodb-local"
    recipe = DYNAMODB_LOCAL


class MotoStore(EmulatedStore):
    name = "moto"
    recipe = MOTO
    pausable = False  # a thread inside isolde
    max_txn_items = 25  # moto 5.x still enforces DynamoDB's limit before September 2022


class DynaliteStore(EmulatedStore):
    name = "dynalite"
    recipe = DYNALITE
    capabilities = NO_TRANSACTIONS
