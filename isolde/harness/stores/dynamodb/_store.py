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
from ....nemesis._client import ClientFaults
from ...emulators import Emulator, make_emulator
from ...emulators._process import HOST
from ._api import Api, DynamoOptions, Secrets
from ._client import DynamoClient
from ._cost import Usage
from ._errors import classify
from ._table import check_table_name, create_table, delete_table, new_table_name

log = logging.getLogger("isolde.dynamodb")

class StoreError(IsoldeError):
    """The store could not be set up (unreachable, refused, not permitted): one line, exit 255."""


CAPABILITIES = frozenset({"register", "cas", "txn", "read-modes", "multi-key-read", "bank"})
NO_TRANSACTIONS = frozenset({"register", "cas", "read-modes"})


class DynamoDBStore:
    """DynamoDB at ``options.endpoint_url`` (None: AWS, chosen by region)."""

    name = "dynamodb"
    capabilities = CAPABILITIES
    owns_endpoint = False  # the endpoint is AWS or a server someone else runs

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
        self.client_faults = ClientFaults(seed)  # client-path faults the nemesis switches
        self._created = False

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

    @property
    def process_control(self) -> Any:
        return None

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
            await create_table(self.admin, self.table)

    def attach_run_dir(self, run_dir: Path) -> None:
        """Where the run's files go (emulator logs)."""
        self.run_dir = run_dir

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
            await create_table(self.admin, self.table, created=self._mark_created)
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


class EmulatedStore(DynamoDBStore):
    """A DynamoDB store on an emulator isolde starts in ``setup`` and stops in ``teardown``."""

    emulator_name = ""
    owns_endpoint = True  # its emulator: stopped at teardown

    def __init__(self, options: DynamoOptions | None = None, seed: int = 0) -> None:
        # Never send the user's real keys to an emulator; its endpoint is the one it starts.
        options = dataclasses.replace(options or DynamoOptions(), dummy_credentials=True,
                                      endpoint_url=None)
        super().__init__(options, seed)
        self.emulator: Emulator | None = None

    def _endpoint_url(self) -> str | None:
        ep = self.emulator.endpoint if self.emulator is not None else None
        return f"http://{ep[0]}:{ep[1]}" if ep else None

    @property
    def process_control(self) -> Any:
        """kill / restart / pause / resume of the emulator process (None for moto: a thread)."""
        return self.emulator.process_control if self.emulator is not None else None

    async def _start_backend(self) -> None:
        o = self.options
        self.emulator = make_emulator(
            self.emulator_name, port=o.port, persistent=o.persistent,
            data_dir=Path(o.data_dir) if o.data_dir else None, log_dir=self.run_dir,
        )
        await self.emulator.start()

    async def _stop_backend(self) -> None:
        if self.emulator is not None:
            await self.emulator.stop()


class DynamoDBLocalStore(EmulatedStore):
    name = "dynamodb-local"
    emulator_name = "dynamodb-local"


class MotoStore(EmulatedStore):
    name = "moto"
    emulator_name = "moto"


class DynaliteStore(EmulatedStore):
    name = "dynalite"
    emulator_name = "dynalite"
    capabilities = NO_TRANSACTIONS
