"""The store contract: one :class:`StoreSpec` declares everything about a store.

A store plugin is a package exposing a ``StoreSpec`` per store name, registered under the entry
point group ``isolde.stores``::

    [project.entry-points."isolde.stores"]
    my-store = "my_package:SPEC"

The spec names the store, its options dataclass (fields made with
:func:`isolde.harness.option` become its ``isolde run`` flags), what it can do (capabilities,
read modes, faults), how to build it, the SDK modules it needs and its emulator recipe. What a
store instance can take part in beyond that (process faults, a fault proxy, client-path faults,
a cloud audit) is said by the protocols it implements (:mod:`._store`).
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ._store import READ_MODES, ProcessControl, Store


@dataclass(frozen=True)
class StoreContext:
    """What every store is built with besides its own options: the run's seed (stores draw
    their randomness from it) and the read consistency the workload asks for."""

    seed: int = 0
    read_consistency: str = "strong"


@dataclass(frozen=True)
class Sizing:
    """A run's size a store suggests for one workload, where isolde's own defaults (10 clients,
    5 keys) would make most of its ops fail: e.g. an emulator that locks pessimistically, where
    contending transactions wait out a lock timeout and abort. None: isolde's own default. A
    size given on the command line always wins; ``keys`` applies only to workloads that read
    ``--keys``."""

    concurrency: int | None = None
    keys: int | None = None

    def __post_init__(self) -> None:
        for name, v in (("concurrency", self.concurrency), ("keys", self.keys)):
            if v is not None and (not isinstance(v, int) or v < 1):
                raise TypeError(f"Sizing.{name} must be a positive int or None, not {v!r}")


@runtime_checkable
class Emulator(Protocol):
    """A local server started on 127.0.0.1 (not started until ``start``)."""

    name: str

    @property
    def endpoint(self) -> tuple[str, int] | None: ...

    @property
    def process_control(self) -> ProcessControl | None: ...

    async def start(self) -> tuple[str, int]: ...

    async def stop(self) -> None: ...


@runtime_checkable
class EmulatorRecipe(Protocol):
    """How to get and run a store's emulator: ``isolde emulator install | list | start``.

    ``status`` is one line: where it is installed or found, or why it is not usable and what to
    do. ``install`` fetches it into the user cache (a recipe that can only *locate* an emulator
    installed some other way raises EmulatorError saying how to get it)."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def persistent(self) -> bool:
        """It can keep its data in a directory."""
        ...

    def installed(self) -> bool: ...

    def status(self) -> str: ...

    def install(self) -> Path: ...

    def make(self, port: int | None = None, data_dir: Path | None = None,
             log_dir: Path | None = None, persistent: bool = False) -> Emulator: ...

    def paste_line(self, host: str, port: int) -> str:
        """The command that runs isolde against this emulator when someone else started it
        (``isolde emulator start`` prints it)."""
        ...


@dataclass(frozen=True)
class StoreSpec:
    """Everything about one store, declared in one place.

    - ``options``: a dataclass; its :func:`isolde.harness.option` fields are the store's flags.
    - ``build(options, context)``: a new, not yet set up, store.
    - ``capabilities``: what workloads may rely on (``register``, ``cas``, ``txn``, ``bank``,
      ``read-modes``, ``multi-key-read``).
    - ``read_modes``: the read consistencies it honours (of :data:`READ_MODES`).
    - ``faults``: the nemesis faults it can take (some may also depend on its options, e.g.
      clock skew needs the embedded store's ``--writers lww``: the nemesis refuses those runs).
    - ``sdk``: modules it imports at run time, and ``sdk_hint``: how to install them.
    - ``emulator``: its emulator recipe, if it runs one.
    - ``audited``: a cloud store; its instances implement :class:`Audited`.
    - ``sizing``: by workload name, the :class:`Sizing` it suggests in place of isolde's default
      concurrency and keys (a workload not named: isolde's defaults). It is declared here, not
      by the store object, because the command line's defaults and ``--help`` need it before
      any store is built.
    """

    name: str
    summary: str
    options: type
    build: Callable[[Any, StoreContext], Store]
    capabilities: frozenset[str]
    read_modes: tuple[str, ...] = ("strong",)
    faults: tuple[str, ...] = ()
    sdk: tuple[str, ...] = ()
    sdk_hint: str = ""
    emulator: EmulatorRecipe | None = None
    audited: bool = False
    sizing: Mapping[str, Sizing] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not dataclasses.is_dataclass(self.options):
            raise TypeError(f"store {self.name!r}: options must be a dataclass")
        bad = [m for m in self.read_modes if m not in READ_MODES]
        if bad:
            raise TypeError(f"store {self.name!r}: unknown read mode {bad[0]!r}")

    def sizing_for(self, workload: str) -> Sizing:
        """The size this store suggests for ``workload`` (all None: isolde's defaults)."""
        return self.sizing.get(workload, Sizing())

    def missing_sdk(self) -> list[str]:
        """The SDK modules it needs that are not importable here."""
        return [m for m in self.sdk if not _importable(m)]


def _importable(module: str) -> bool:
    try:  # a dotted name whose parent package is missing raises rather than answering None
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False

