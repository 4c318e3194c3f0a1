"""Store and Client protocols: a Store sets up and tears down, and opens one Client per worker."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .._errors import UsageError
from ..histories import Op


@runtime_checkable
class Client(Protocol):
    """``invoke`` performs one op and returns its completion (``op.complete(...)``).

    Return ``fail`` only when the op certainly did not take effect and ``info`` when it may have;
    raising is treated as ``info`` with the exception as the error.
    """

    async def invoke(self, op: Op) -> Op: ...

    async def close(self) -> None: ...


@runtime_checkable
class Store(Protocol):
    """A data store under test. ``capabilities`` names what workloads may rely on, e.g.
    ``register``, ``cas``, ``txn``, ``read-modes``.

    ``teardown`` removes what this store's ``setup`` created and nothing else: a resource found
    in place (a table, database, container or collection that already existed) is refused, never
    reused, and never deleted -- however the run ends (normal end, error, a signal). A store
    knows a resource is its own only once its own create request succeeded."""

    name: str
    capabilities: frozenset[str]

    async def setup(self) -> None: ...

    async def teardown(self) -> None: ...

    async def open_client(self, worker: int) -> Client: ...


def require(store: Store, needs: frozenset[str], workload: str) -> None:
    """Refuse, in one line, a workload the store cannot serve."""
    missing = sorted(needs - store.capabilities)
    if missing:
        raise UsageError(
            f"store {store.name!r} cannot run workload {workload!r}: it lacks {', '.join(missing)}"
        )


@runtime_checkable
class ProcessControl(Protocol):
    """Signals on the process behind a store (its ``process_control`` attribute, None when it
    has no process of its own). ``persistent``: a restart keeps the data."""

    persistent: bool

    def kill(self) -> None:
        """SIGKILL, and reap."""
        ...

    async def restart(self) -> None:
        """Start again on the same port (same data directory when persistent); wait until
        it serves."""
        ...

    def pause(self) -> None:
        """SIGSTOP."""
        ...

    def resume(self) -> None:
        """SIGCONT."""
        ...


@runtime_checkable
class Redirectable(Protocol):
    """A store with a network endpoint that lets its clients connect elsewhere (a fault proxy in
    front of the store): ``set_client_endpoint`` must come before clients are opened."""

    @property
    def endpoint(self) -> tuple[str, int] | None: ...

    def set_client_endpoint(self, host: str, port: int) -> None: ...
