"""The nemesis: faults on a seeded schedule, each start and stop recorded in the history.

The schedule alternates: ``interval`` quiet, a fault on for ``interval``, quiet, the next fault...
Faults are taken in rounds, each round a seeded shuffle of the requested faults, so every fault
appears once per round and the same seed gives the same schedule (fault, targets, magnitudes).
Each start and stop is an invocation and a completion of process ``nemesis`` (``f`` is
``start-<fault>`` / ``stop-<fault>``, the completion's value names the targets), which is what
fault windows are computed from. The active fault is healed when the run's main phase ends, on
stop or Ctrl-C, and on error; ``heal_now`` is the synchronous last resort.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .._errors import UsageError
from ..histories import NEMESIS, Op
from ._base import FAULT_NAMES, Fault, NemesisOptions, Unsupported

if TYPE_CHECKING:  # the harness imports the nemesis: the name only, for annotations
    from ..harness import Store

log = logging.getLogger("isolde.nemesis")


@runtime_checkable
class Resource(Protocol):
    """Something faults share that lives for the run (e.g. the fault proxy)."""

    async def setup(self) -> None: ...

    async def teardown(self) -> None: ...


class _Recorder(Protocol):
    def record(self, op: Op) -> Op: ...


class _Runner(Protocol):
    recorder: Any
    stopping: asyncio.Event


class Nemesis:
    """Runs ``faults`` on a schedule as a Runner background task (``background=[n.run]``)."""

    def __init__(self, faults: list[Fault], options: NemesisOptions,
                 resources: list[Resource] | None = None) -> None:
        self.faults = faults
        self.options = options
        self.resources = resources or []
        self.active: Fault | None = None
        self._stop_task: asyncio.Task[None] | None = None
        self._set_up: list[Resource] = []

    # --- lifetime around the run ---------------------------------------------------------------
    async def setup(self) -> None:
        """Start shared resources (after the store is set up, before clients open)."""
        for r in self.resources:
            await r.setup()
            self._set_up.append(r)

    async def teardown(self) -> None:
        """Heal anything still in place, then stop shared resources."""
        self.heal_now()
        while self._set_up:
            r = self._set_up.pop()
            try:
                await r.teardown()
            except Exception as e:  # keep tearing down the rest
                log.warning("nemesis teardown of %s failed: %r", type(r).__name__, e)

    def heal_now(self) -> None:
        """Synchronously undo every fault (idempotent; used when nothing else can run)."""
        for f in self.faults:
            try:
                f.heal_now()
            except Exception as e:
                log.warning("could not heal %s: %r", f.name, e)
        self.active = None

    # --- the schedule --------------------------------------------------------------------------
    async def run(self, runner: _Runner) -> None:
        rec: _Recorder = runner.recorder
        rng = random.Random(f"{self.options.seed}/nemesis")
        order: list[Fault] = []
        try:
            while not await _sleep(runner.stopping, self.options.interval):
                if not order:
                    order = list(self.faults)
                    rng.shuffle(order)
                fault = order.pop(0)
                fault_rng = random.Random(rng.getrandbits(64))
                self.active = fault
                await _recorded(rec, f"start-{fault.name}", fault.start(fault_rng))
                await _sleep(runner.stopping, self.options.interval)
                await self._heal(rec)
        finally:
            # Cancelled (the main phase ended, a stop, an error): heal before anything else runs.
            await self._heal(rec)

    async def _heal(self, rec: _Recorder) -> None:
        if self._stop_task is None and self.active is not None:
            self._stop_task = asyncio.get_running_loop().create_task(self._stop(rec, self.active))
        if self._stop_task is not None:
            # Shielded: a second cancellation must not interrupt a restart half-way.
            await asyncio.shield(self._stop_task)
            self._stop_task = None

    async def _stop(self, rec: _Recorder, fault: Fault) -> None:
        ok = await _recorded(rec, f"stop-{fault.name}", fault.stop())
        if not ok:
            fault.heal_now()
        self.active = None


async def _sleep(stopping: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` or until ``stopping``; True if stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
    return stopping.is_set()


async def _recorded(rec: _Recorder, f: str, action: Any) -> bool:
    """Record ``f`` as a nemesis invocation, run ``action``, record its completion."""
    invoke = rec.record(Op(-1, -1, "invoke", NEMESIS, f, None))
    try:
        value = await action
    except Exception as e:
        log.warning("nemesis %s failed: %r", f, e)
        rec.record(invoke.complete("info", None, error=f"{type(e).__name__}: {e}"))
        return False
    except BaseException:
        rec.record(invoke.complete("info", None, error="interrupted"))
        raise
    rec.record(invoke.complete("ok", value))
    log.info("nemesis %s: %s", f, value)
    return True


# --- building a nemesis for a store -------------------------------------------------------------
def _fault_for(name: str, store: Store, options: NemesisOptions, shared: dict[str, Any]) -> Fault:
    from ._embedded import embedded, embedded_fault

    mem = embedded(store)
    if mem is not None:
        return embedded_fault(name, mem, options)
    from ._remote import remote_fault

    return remote_fault(name, store, options, shared)


def supported_faults(store: Store, options: NemesisOptions | None = None) -> list[str]:
    """The fault names ``store`` can take."""
    out = []
    for name in FAULT_NAMES:
        try:
            _fault_for(name, store, options or NemesisOptions(), {})
        except Unsupported:
            continue
        out.append(name)
    return out


def make_nemesis(names: tuple[str, ...] | list[str], store: Store,
                 options: NemesisOptions) -> Nemesis:
    """A nemesis running ``names`` against ``store``; refuses, in one line, a fault the store
    cannot take (UsageError, exit 254) and names the ones it can."""
    unknown = [n for n in names if n not in FAULT_NAMES]
    if unknown:
        raise UsageError(f"unknown fault {unknown[0]!r} (known: {', '.join(FAULT_NAMES)})")
    if options.interval <= 0:
        raise UsageError("--nemesis-interval must be positive")
    shared: dict[str, Any] = {}
    faults = []
    for name in dict.fromkeys(names):
        try:
            faults.append(_fault_for(name, store, options, shared))
        except Unsupported as e:
            can = ", ".join(supported_faults(store, options)) or "none"
            raise UsageError(f"store {store.name!r} cannot take fault {name!r}: {e} "
                             f"(it supports: {can})") from None
    resources = [r for r in shared.values() if isinstance(r, Resource)]
    return Nemesis(faults, options, resources)
