"""The Firestore stores: ``firestore-emulator`` (Google's emulator, started in ``setup`` and
stopped in ``teardown``) and ``firestore`` (the real service: the cloud audit).

Everything a run writes lives under its own root collection ``isolde-<run id>``; teardown
deletes the documents the run wrote there (unless ``keep``), also after a failed setup, an error
or Ctrl-C. One ``AsyncClient`` serves every worker (one gRPC channel, multiplexed).

A store with a local endpoint (the emulator isolde starts, or ``--emulator-host``) is
:class:`isolde.harness.Redirectable`: the workers' client then goes to the fault proxy given with
``set_client_endpoint`` (the SDK's emulator host is the proxy: gRPC's HTTP/2 passes it as raw
bytes), while setup's warm-up read and teardown's deletes keep their direct line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...._errors import IsoldeError, UsageError
from ..._client_faults import ClientFaults
from ..._plugin import Emulator
from ..._store import ProcessControl, undo_failed_setup
from ._client import FirestoreClient
from ._cost import Usage
from ._emulator import FIRESTORE_EMULATOR, PROJECT
from ._errors import classify
from ._faults import faultable_client, new_client_faults
from ._ops import Conn, Ops
from ._options import FirestoreOptions
from ._stream import PROMISES, FirestoreStream

log = logging.getLogger("isolde.firestore")
PREFIX = "isolde-"
EMULATOR_HOST = "FIRESTORE_EMULATOR_HOST"
# Skew allowed between isolde's clock (read_time is computed here) and the server's.
CLOCK_SLACK_MS = 50.0
CAPABILITIES = frozenset({"register", "cas", "txn", "read-modes", "multi-key-read", "bank",
                          "outbox", "change-stream"})


class StoreError(IsoldeError):
    """The store could not be set up (unreachable, refused, not permitted): one line."""


def _collection(name: str | None) -> str:
    if name is None:
        return f"{PREFIX}{uuid.uuid4().hex[:12]}"
    if not name.startswith(PREFIX) or "/" in name:
        raise UsageError(f"--collection {name!r}: must start with {PREFIX!r} and hold no '/'")
    return name


@contextlib.contextmanager
def _emulator_env(host: str | None) -> Iterator[None]:
    """FIRESTORE_EMULATOR_HOST set while the SDK builds its client (that is when it reads it),
    and put back as it was: it never leaks into the user's environment or child processes."""
    if host is None:
        yield
        return
    before = os.environ.get(EMULATOR_HOST)
    os.environ[EMULATOR_HOST] = host
    try:
        yield
    finally:
        if before is None:
            del os.environ[EMULATOR_HOST]
        else:
            os.environ[EMULATOR_HOST] = before


async def _close(client: Any) -> None:
    """Close an AsyncClient's gRPC channel: its own ``close()`` closes only an HTTP session
    the gRPC client never opens, and leaves the channel (and its reconnect attempts) alive."""
    await client._firestore_api.transport.close()


class FirestoreStoreBase:
    """What both Firestore stores share: the client, the run's collection, the cleanup."""

    name = "firestore"
    capabilities = CAPABILITIES
    project: str | None = PROJECT
    database: str | None = None

    def __init__(self, options: FirestoreOptions | None = None, seed: int = 0) -> None:
        self.options = options or FirestoreOptions()
        self.seed = seed
        self.collection = _collection(self.options.collection)
        self.admin: Any = None  # the AsyncClient with the direct line (setup, teardown)
        # The workers' AsyncClient, shared by them all: the admin's, or one of its own through
        # the fault proxy. Made when the first worker opens.
        self.conn: Conn | None = None
        self._client_endpoint: tuple[str, int] | None = None
        self.run_dir: Path | None = None
        self.written: set[str] = set()  # document ids the run may have written
        self.usage = Usage()
        self.client_faults = new_client_faults(seed)  # switched by the nemesis
        self.listening = False  # a run that reads the change stream (a listener)
        self.streams: list[FirestoreStream] = []  # listeners opened (teardown closes them)

    @property
    def endpoint(self) -> tuple[str, int] | None:
        return None  # the service; the emulator store has one

    def set_client_endpoint(self, host: str, port: int) -> None:
        """Send the workers' requests to host:port (a fault proxy); before clients are opened."""
        if self.conn is not None:
            raise RuntimeError("set_client_endpoint must be called before clients are opened")
        self._client_endpoint = (host, port)

    def attach_run_dir(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    def read_promises(self) -> dict[str, Any]:
        """What a bounded read promises (:class:`isolde.harness.Promising`): it reads at
        now - ``stale_ms``, so a write it misses completed less than ``stale_ms`` before it
        began (plus the skew between this machine's clock and the server's). Time is the only
        bound: any number of versions may fall in that window."""
        return {"bounded_ms": self.options.stale_ms + CLOCK_SLACK_MS,
                "bounded_versions": sys.maxsize}

    # -- the change stream: a snapshot listener (:class:`isolde.harness.Streaming`) ------------

    def enable_stream(self) -> None:
        """Nothing to create beforehand: a listener is opened on the run's collection."""
        self.listening = True

    async def open_stream(self) -> FirestoreStream:
        if self.admin is None:  # the workers' connection opens later, with the first client
            raise RuntimeError("open_stream before setup")
        stream = FirestoreStream(self._listen_client, self.collection, self.usage)
        self.streams.append(stream)
        await stream.open()
        return stream

    def stream_promises(self) -> dict[str, Any]:
        """States in order, not every write, not once each (docs/change-streams.md)."""
        return dict(PROMISES)

    def _listen_client(self) -> Any:
        """A synchronous client for a listener (the AsyncClient has none), without faults."""
        from google.cloud.firestore import Client

        with _emulator_env(self._emulator_host(self.endpoint)):  # the direct line
            kw = {"database": self.database} if self.database else {}
            return Client(project=self.project, **kw)

    # -- lifecycle -------------------------------------------------------------------------------

    def _emulator_host(self, ep: tuple[str, int] | None) -> str | None:
        return f"{ep[0]}:{ep[1]}" if ep is not None else None

    async def _start_backend(self) -> None:
        return None

    async def _stop_backend(self) -> None:
        return None

    async def _ready(self) -> None:
        """Refuse a collection that already holds documents: the run must never write into,
        nor delete from, what it did not create. The first request, with a patient deadline:
        a just started emulator answers HTTP long before its gRPC service is warm (seconds of
        class loading on a busy machine), and the run's first ops must not pay for that."""
        found = [d async for d in self.admin.collection(self.collection).limit(1).stream(
            timeout=60.0)]
        if found:
            raise StoreError(f"{self.name}: collection {self.collection} already holds "
                             "documents: isolde only writes under a collection of its own")

    def _new_client(self, ep: tuple[str, int] | None, faults: ClientFaults | None = None) -> Any:
        """An AsyncClient to the emulator at ``ep`` (None: Google's service), with the client
        fault interceptors when ``faults`` is given."""
        # isolde forks only to exec an emulator at once, never to use gRPC in the child: gRPC's
        # fork handlers have nothing to do there, and their log line would land on stderr.
        os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
        try:
            import google.cloud.firestore  # noqa: F401 -- the one install hint, here
        except ImportError:
            raise UsageError("the Firestore stores need google-cloud-firestore: "
                             "pip install 'isolde[firestore]'") from None
        with _emulator_env(self._emulator_host(ep)):
            kw = {"database": self.database} if self.database else {}
            return faultable_client(faults, project=self.project, **kw)

    async def setup(self) -> None:
        async with undo_failed_setup(self.name, self._teardown, lambda e: classify(e).kind,
                                     StoreError):
            await self._start_backend()
            self.admin = self._new_client(self.endpoint)
            await self._ready()
            log.info("%s: writing under collection %s", self.name, self.collection)

    async def teardown(self) -> None:
        await self._teardown()

    async def _teardown(self) -> None:
        try:
            for stream in self.streams:  # before the emulator stops under them
                await stream.close()
            self.streams.clear()
            if self.admin is not None and not self.options.keep:
                await self._delete_written()
            elif self.admin is not None and self.written:
                log.warning("keeping collection %s (--keep): delete it yourself when done",
                            self.collection)
        finally:
            old = self._clients()
            self.conn = self.admin = None
            for client in old:
                await _close(client)
            await self._stop_backend()

    async def _delete_written(self) -> None:
        """Delete every document of the run's collection that this run wrote (only those: a
        collection given with --collection may hold documents the run did not create)."""
        root = self.admin.collection(self.collection)
        ids = sorted(self.written)
        for i in range(0, len(ids), 400):  # a batch takes at most 500 writes
            batch = self.admin.batch()
            for d in ids[i:i + 400]:
                batch.delete(root.document(d))
            self.usage.deletes += len(ids[i:i + 400])
            await batch.commit(timeout=max(self.options.timeout, 30.0))
        if ids:
            log.info("%s: deleted %d documents of %s", self.name, len(ids), self.collection)
        self.written.clear()

    def _clients(self) -> list[Any]:
        """The AsyncClients open: the admin's, and the workers' when it is another."""
        out = [] if self.admin is None else [self.admin]
        if self.conn is not None and self.conn.client is not self.admin:
            out.append(self.conn.client)
        return out

    def _workers_client(self) -> Any:
        """The admin's client, unless the workers go through a fault proxy or take client
        faults: then one of their own. Only then do its requests pass the fault interceptors,
        which slow every request down even while no fault is on; the admin's never do (setup
        and teardown are not under test)."""
        hooks = self.client_faults.needs_hooks()
        if self._client_endpoint is None and not hooks:
            return self.admin
        return self._new_client(self._client_endpoint or self.endpoint,
                                self.client_faults if hooks else None)

    async def open_client(self, worker: int) -> FirestoreClient:
        if self.admin is None:
            raise RuntimeError("open_client before setup")
        if self.conn is None:
            self.conn = Conn(self._workers_client(), self.collection)
        o = self.options
        ops = Ops(self.conn, o, self.written,
                  random.Random(f"{self.seed}/firestore/{worker}"), self.usage)
        return FirestoreClient(ops, o.default_read, o.bank_mode)


class FirestoreEmulatorStore(FirestoreStoreBase):
    """Firestore on Google's emulator, started in ``setup`` on a free 127.0.0.1 port and
    stopped in ``teardown`` (:class:`isolde.harness.Managed`). It keeps everything in memory:
    a kill loses every acknowledged write."""

    name = "firestore-emulator"
    process_name = "firestore-emulator"
    pausable = True

    def __init__(self, options: FirestoreOptions | None = None, seed: int = 0) -> None:
        super().__init__(options, seed)
        self.emulator: Emulator | None = None

    @property
    def endpoint(self) -> tuple[str, int] | None:
        return self.emulator.endpoint if self.emulator is not None else None

    @property
    def process_control(self) -> ProcessControl | None:
        return self.emulator.process_control if self.emulator is not None else None

    async def _delete_written(self) -> None:
        self.written.clear()  # the emulator keeps everything in memory: stopping it deletes it

    async def after_restart(self) -> None:
        """A new client: the old one's gRPC channel, refused while the emulator was down, backs
        off for many seconds before it connects again (every op would fail meanwhile). Then the
        warm-up read of ``setup``. Nothing else to recreate: the emulator lost every document,
        and a collection exists as soon as a document is written to it."""
        if self.admin is None:
            return
        old = self._clients()
        self.admin = self._new_client(self.endpoint)
        if self.conn is not None:
            self.conn.client = self._workers_client()
        for client in old:
            await _close(client)
        await self._ready()

    async def _start_backend(self) -> None:
        self.emulator = FIRESTORE_EMULATOR.make(port=self.options.port, log_dir=self.run_dir)
        await self.emulator.start()

    async def _stop_backend(self) -> None:
        if self.emulator is not None:
            await self.emulator.stop()

