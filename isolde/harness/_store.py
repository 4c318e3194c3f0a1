"""Store and Client protocols: a Store sets up and tears down, and opens one Client per worker."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Container, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .._errors import IsoldeError, UsageError
from ..histories import Op
from ._client_faults import ClientFaults

# The read consistencies an op may ask for (its ``consistency`` field), strongest first. A store
# declares which it offers (``StoreSpec.read_modes``); ``mixed`` asks a workload to draw one per
# read.
READ_MODES = ("strong", "bounded", "session", "consistent-prefix", "eventual")
MIXED = "mixed"
log = logging.getLogger("isolde.harness")


def check_read_consistency(mode: str) -> str:
    """``mode`` if it names a read mode (or ``mixed``); UsageError otherwise."""
    if mode != MIXED and mode not in READ_MODES:
        raise UsageError(f"unknown --read-consistency {mode!r} "
                         f"(known: {', '.join((*READ_MODES, MIXED))})")
    return mode


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
        why = store.lacking if isinstance(store, Limited) else {}
        lacks = ", ".join(f"{m} ({why[m]})" if m in why else m for m in missing)
        raise UsageError(f"store {store.name!r} cannot run workload {workload!r}: it lacks {lacks}")


@runtime_checkable
class Limited(Protocol):
    """A store that says why it lacks a capability: ``lacking`` maps the capability to the
    reason, which the refusal of a workload needing it quotes."""

    lacking: Mapping[str, str]


@runtime_checkable
class TxnBounded(Protocol):
    """A store whose transactions take at most ``max_txn_items`` items (DynamoDB: 100)."""

    max_txn_items: int


def require_txn_size(store: Store, items: int, workload: str) -> None:
    """Refuse, in one line, a workload whose ops touch more items in one transaction than the
    store takes: every such op would fail validation, a run of nothing but failures."""
    if isinstance(store, TxnBounded) and items > store.max_txn_items:
        raise UsageError(f"store {store.name!r} takes at most {store.max_txn_items} items in a "
                         f"transaction; workload {workload!r} would put {items} in one")


@runtime_checkable
class Forgetting(Protocol):
    """A store held in isolde's own memory (the embedded store) that can drop what it keeps for
    ``keys`` and every session begun so far, once no op will name them again: a soak's finished
    segment. Without it a soak's memory grows with every key it ever wrote; a real store keeps
    its data, which is not isolde's memory."""

    def forget(self, keys: Container[Any]) -> None: ...


@runtime_checkable
class ProcessControl(Protocol):
    """Signals on the process behind a store. ``persistent``: a restart keeps the data; ``pid``:
    the process id (None when the server runs inside isolde, e.g. in a thread)."""

    persistent: bool

    @property
    def pid(self) -> int | None: ...

    @property
    def running(self) -> bool: ...

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


# --- optional capabilities: a store offers one by implementing its protocol -------------------
@runtime_checkable
class Managed(Protocol):
    """A store that runs a server of its own (an emulator it starts in ``setup`` and stops in
    ``teardown``): the nemesis may kill it (and pause it, when ``pausable``), and the
    conformance suite checks its endpoint is closed after teardown. ``process_name`` labels it
    in fault records; ``process_control`` is None until set up."""

    process_name: str
    pausable: bool

    @property
    def process_control(self) -> ProcessControl | None: ...

    async def after_restart(self) -> None:
        """After the nemesis restarted a killed server: restore what the run needs (e.g. a
        table an in-memory server lost)."""
        ...


@runtime_checkable
class Redirectable(Protocol):
    """A store with a network endpoint that lets its clients connect elsewhere (a fault proxy in
    front of the store): ``set_client_endpoint`` must come before clients are opened.
    ``endpoint`` is None when there is no local endpoint to stand in front of (a cloud
    service)."""

    @property
    def endpoint(self) -> tuple[str, int] | None: ...

    def set_client_endpoint(self, host: str, port: int) -> None: ...


@runtime_checkable
class RunDirAware(Protocol):
    """A store that keeps files in the run directory (e.g. its emulator's log)."""

    def attach_run_dir(self, run_dir: Path) -> None: ...


@runtime_checkable
class ClientFaultable(Protocol):
    """A store whose SDK client takes client-path faults: it consults ``client_faults`` (the
    nemesis's switches, :class:`ClientFaults`) on every request, through its own
    SDK's hooks, and runs every call through ``client_faults.call``. A nemesis with client
    faults calls ``client_faults.schedule()`` before the store's clients open; a store may leave
    the hooks out of a client opened while ``client_faults.needs_hooks()`` says False."""

    @property
    def client_faults(self) -> ClientFaults: ...


@runtime_checkable
class Promising(Protocol):
    """A store whose weaker reads promise a bound the checkers can hold them to (e.g. bounded
    staleness: ``bounded_versions`` and ``bounded_ms`` behind), given to the checkers as
    options."""

    def read_promises(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class AuditPlan:
    """What a store that costs money will do: lines to print (with an upper bound on requests
    and cost), and whether the user accepted it (``--yes``)."""

    lines: tuple[str, ...]
    accepted: bool


@runtime_checkable
class Audited(Protocol):
    """A cloud store: nothing is sent before its plan is printed and accepted, the run is capped
    at ``default_max_ops`` unless the user gives a cap, and what it used is reported after (also
    after an error or Ctrl-C). Its teardown deletes what it created."""

    default_max_ops: int

    def audit_plan(self, workload: str, max_ops: int) -> AuditPlan: ...

    def audit_report(self) -> str: ...


@dataclass(frozen=True)
class StreamEvent:
    """One change-stream record as a consumer received it: the item's key, its new image (the
    whole value after the write), and the stream's own position or id for it (``seq``: a
    sequence number, or None when the stream has none)."""

    key: Any
    value: Any
    seq: str | int | None = None


class ChangeStream(Protocol):
    """A consumer's handle on a store's change stream. ``poll`` returns the records that
    arrived since the last poll (none: an empty list, promptly -- the consumer paces itself);
    it may raise while the store is unreachable, and the consumer polls again."""

    async def poll(self) -> list[StreamEvent]: ...

    async def close(self) -> None: ...


@runtime_checkable
class Streaming(Protocol):
    """A store with a change stream of committed writes (capability ``change-stream``).
    ``enable_stream`` comes before ``setup`` (a stream may cost: it is on only for runs that
    read it); ``open_stream`` after it. ``stream_promises``: what the stream guarantees, given
    to the checkers as options (``stream_exactly_once``, ``stream_ordered_per_key``)."""

    def enable_stream(self) -> None: ...

    async def open_stream(self) -> ChangeStream: ...

    def stream_promises(self) -> dict[str, Any]: ...
@contextlib.asynccontextmanager
async def undo_failed_setup(name: str, undo: Callable[[], Awaitable[None]],
                            kind: Callable[[Exception], str],
                            error: type[IsoldeError]) -> AsyncIterator[None]:
    """Wraps a store's ``setup``: if it fails or is interrupted (Ctrl-C) part way, ``undo`` it
    all (a store must leave nothing behind; an error of the undo is logged, the setup's is the
    one to report), and an SDK's error becomes one line, ``<name>: setup failed: <kind>: <its
    first line>``, raised as ``error``. isolde's own errors (a refusal) pass as they are."""
    try:
        yield
    except BaseException as e:
        try:
            await undo()
        except Exception as t:
            log.info("%s: undoing a failed setup: %r", name, t)
        if isinstance(e, Exception) and not isinstance(e, IsoldeError):
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise error(f"{name}: setup failed: {kind(e)}: {first}") from None
        raise
