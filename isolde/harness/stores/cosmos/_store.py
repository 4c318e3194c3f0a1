"""The Cosmos DB stores. ``cosmos-emulator`` starts cosmosdb-server in ``setup`` and stops it in
``teardown``. Each run creates its own database and container ``isolde-<run id>`` (partition key
``/id``) and deletes them at teardown (``keep`` keeps them).

Administration goes straight to the store's endpoint; the workers' client goes to
``set_client_endpoint`` when one is given (a fault proxy in between). The SDK's connection
retries are switched off: it would resend a write whose reply was lost (its policy calls a
broken connection "safe to retry on both read and write requests"), hiding a possible duplicate.
Its 429 retries stay on (a throttled request was not applied).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...._errors import IsoldeError, UsageError
from ..._options import option, positive_float
from ..._plugin import Emulator
from ..._store import ProcessControl
from ._client import CosmosWorker
from ._emulator import COSMOSDB_SERVER
from ._errors import classify
from ._names import check_name, new_name

log = logging.getLogger("isolde.cosmos")
# The Cosmos emulators' published well-known key: cosmosdb-server checks no auth, but the SDK
# signs every request with a base64 key. Not a secret: Microsoft documents it for emulators.
EMULATOR_KEY = ("C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67"
                "XIw/Jw==")
CAPABILITIES = frozenset({"register", "cas", "read-modes"})
_MISSING_SDK = "the Cosmos DB stores need azure-cosmos: pip install 'isolde[cosmos]'"


class StoreError(IsoldeError):
    """The store could not be set up (unreachable, refused): one line, exit 255."""


@dataclass
class CosmosOptions:
    """How to reach Cosmos DB and how to behave there."""

    database: str | None = option(None, "name of the database and container to create (must "
                                  "start with isolde-)")
    keep: bool = option(False, "keep the database after the run")
    request_timeout: float = option(4.0, "seconds before a request is given up (its op: info "
                                    "for a write)", parse=positive_float, metavar="S")
    throttle_retries: int = 9  # the SDK's retries of a 429 before the op fails as throttled
    read_via: str = "point"  # point: read_item; query: a single-partition query by id
    default_read: str = "strong"  # the consistency of a read op without a ``consistency`` field
    port: int | None = None  # the emulator's port (default: a free one)


def _cosmos_client(url: str, key: str, timeout: float, throttle_retries: int) -> Any:
    try:
        from azure.cosmos.aio import CosmosClient
    except ImportError:
        raise UsageError(_MISSING_SDK) from None
    return CosmosClient(
        url, credential=key, enable_endpoint_discovery=False, timeout=timeout,
        connection_timeout=timeout, read_timeout=timeout, retry_total=0, retry_connect=0,
        retry_read=0, retry_status=0, retry_throttle_total=throttle_retries,
        transport=_transport(),
    )


def _transport() -> Any:
    """azure-core's aiohttp transport, except that aiohttp must not resend a request itself:
    it resends a PUT (a Cosmos replace, our CAS) once when the connection closes before the
    reply, and a CAS whose first copy applied then fails its copy with a 412 -- an applied
    write recorded as ``fail``. aiohttp has no public switch for it, hence the attribute."""
    from azure.core.pipeline.transport import AioHttpTransport

    class NoResendTransport(AioHttpTransport):
        async def open(self) -> None:
            await super().open()
            if self.session is not None:
                self.session._retry_connection = False

    return NoResendTransport()


class CosmosStoreBase:
    """What the Cosmos DB stores share: the run's database and container, and the clients."""

    name = "cosmos"
    capabilities = CAPABILITIES

    def __init__(self, options: CosmosOptions | None = None, seed: int = 0) -> None:
        self.options = options or CosmosOptions()
        self.seed = seed
        self.database = check_name(self.options.database or new_name())
        self.run_dir: Path | None = None
        self.admin: Any = None
        self.data: Any = None
        self._client_endpoint: tuple[str, int] | None = None
        self._created = False

    def _url(self) -> str:
        raise NotImplementedError

    def _key(self) -> str:
        raise NotImplementedError

    def _client(self, url: str, admin: bool = False) -> Any:
        """An SDK client. The admin one (database and container) is patient: a just restarted
        or busy emulator must not fail setup or teardown, which are not under test."""
        o = self.options
        timeout = max(o.request_timeout, 30.0) if admin else o.request_timeout
        return _cosmos_client(url, self._key(), timeout, o.throttle_retries)

    async def _start_backend(self) -> None:
        return None

    async def _stop_backend(self) -> None:
        return None

    def attach_run_dir(self, run_dir: Path) -> None:
        """Where the run's files go (the emulator's log)."""
        self.run_dir = run_dir

    async def _create(self) -> None:
        from azure.cosmos import PartitionKey

        check_name(self.database)
        db = await self.admin.create_database(self.database)  # an existing one is refused
        self._created = True  # from here on, teardown deletes it
        await db.create_container(self.database, partition_key=PartitionKey("/id"))

    async def setup(self) -> None:
        try:
            await self._start_backend()
            self.admin = self._client(self._url(), admin=True)
            log.info("%s: creating database %s at %s", self.name, self.database, self._url())
            await self._create()
        except BaseException as e:  # failed or interrupted part way: undo it all
            with contextlib.suppress(Exception):
                await self._teardown(quiet=True)
            if isinstance(e, Exception) and not isinstance(e, IsoldeError):
                raise StoreError(f"{self.name}: setup failed: {classify(e).kind}: "
                                 f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
                                 ) from None
            raise

    async def teardown(self) -> None:
        """Close the clients, delete the database unless ``keep``, stop the emulator; the first
        error is raised after every step ran."""
        await self._teardown(quiet=False)

    async def _teardown(self, quiet: bool) -> None:
        errors: list[BaseException] = []
        if self.data is not None:
            with _collect(errors, quiet):
                await self.data.close()
            self.data = None
        if self.admin is not None:
            if self._created and not self.options.keep:
                with _collect(errors, quiet):
                    await self.admin.delete_database(check_name(self.database))
                    log.info("%s: deleted database %s", self.name, self.database)
            elif self._created:
                log.warning("keeping database %s (--keep): delete it yourself when done",
                            self.database)
            self._created = False
            with _collect(errors, quiet):
                await self.admin.close()
            self.admin = None
        with _collect(errors, quiet):
            await self._stop_backend()
        if errors:
            raise errors[0]

    async def open_client(self, worker: int) -> CosmosWorker:
        if self.data is None:
            url = self._url()
            if self._client_endpoint is not None:
                url = "http://{}:{}".format(*self._client_endpoint)
            self.data = self._client(url)
        container = self.data.get_database_client(self.database).get_container_client(
            self.database)
        return CosmosWorker(container, self.options.read_via, self.options.default_read)

    async def invoke(self, op: Any) -> Any:
        """One op outside a run (tests, the conformance suite)."""
        return await (await self.open_client(0)).invoke(op)


@contextlib.contextmanager
def _collect(errors: list[BaseException], quiet: bool) -> Any:
    try:
        yield
    except Exception as e:
        (log.info if quiet else log.warning)("teardown: %r", e)
        errors.append(e)


class CosmosEmulatorStore(CosmosStoreBase):
    """Cosmos DB's API on cosmosdb-server, started by isolde (:class:`isolde.harness.Managed`:
    the nemesis may kill and pause it; it keeps nothing across a kill)."""

    name = "cosmos-emulator"
    pausable = True
    recipe = COSMOSDB_SERVER
    # Measured on cosmosdb-server 1.0.1 (docs/cosmos-errors.md).
    lacking = {
        "txn": "cosmosdb-server rejects the SDK's transactional batch, and its batch handler "
               "applies operations one by one with no rollback: not atomic",
        "bank": "a transfer needs an atomic transactional batch, which cosmosdb-server lacks",
        "outbox": "a transfer and its outbox record need an atomic transactional batch",
        "change-stream": "cosmosdb-server's change feed is not a history: the first read "
                         "lists every item as it is now, and every read after it answers 304 "
                         "Not Modified (a constant etag), so no change ever appears "
                         "(docs/change-streams.md)",
    }

    def __init__(self, options: CosmosOptions | None = None, seed: int = 0) -> None:
        super().__init__(options, seed)
        self.emulator: Emulator | None = None

    @property
    def process_name(self) -> str:
        return self.recipe.name

    @property
    def process_control(self) -> ProcessControl | None:
        return self.emulator.process_control if self.emulator is not None else None

    @property
    def endpoint(self) -> tuple[str, int] | None:
        return self.emulator.endpoint if self.emulator is not None else None

    def set_client_endpoint(self, host: str, port: int) -> None:
        """Send the workers' requests to host:port (a fault proxy); before clients open."""
        if self.data is not None:
            raise RuntimeError("set_client_endpoint must be called before clients are opened")
        self._client_endpoint = (host, port)

    def _url(self) -> str:
        ep = self.endpoint
        if ep is None:
            raise StoreError(f"{self.name}: the emulator is not running")
        return f"http://{ep[0]}:{ep[1]}"

    def _key(self) -> str:
        return EMULATOR_KEY

    async def _start_backend(self) -> None:
        self.emulator = self.recipe.make(port=self.options.port, log_dir=self.run_dir)
        await self.emulator.start()

    async def _stop_backend(self) -> None:
        if self.emulator is not None:
            await self.emulator.stop()

    async def after_restart(self) -> None:
        """The restarted emulator lost everything with its memory: recreate the database and
        container (empty; the writes they held are lost, and the checkers say so)."""
        if self.admin is None or not self._created:
            return
        from azure.cosmos.exceptions import CosmosResourceNotFoundError

        try:
            await self.admin.get_database_client(self.database).read()
        except CosmosResourceNotFoundError:
            log.info("%s: database %s lost with the process; recreating it", self.name,
                     self.database)
            await self._create()
