"""The Workload protocol and the registry of workloads by name."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .._plugins import Registry, named
from ..harness._generators import Generator
from ..harness._options import build


@dataclass(frozen=True)
class WorkloadOptions:
    """Knobs common to workloads; each reads what applies to it."""

    seed: int = 0
    keys: int = 5  # active keys at once
    ops_per_key: int = 200
    read_consistency: str = "strong"  # or "mixed"
    concurrency: int = 10
    # Keys are numbered from here: a soak gives each segment its own range, so no key lives in
    # two segments and each segment is checkable on its own.
    first_key: int = 0
    options: dict[str, Any] = field(default_factory=dict)  # workload-specific


class Workload(Protocol):
    """A generator of client ops, the final generator run after faults heal, the checkers that
    judge the history, and the store capabilities the ops need."""

    name: str
    needs: frozenset[str]
    checkers: tuple[str, ...]
    op_kind: str  # the kind of ops it produces (isolde.checkers.KINDS), so a checker
    # that cannot judge them is refused before the run

    def setup_generator(self) -> Generator | None:
        """Ops one worker runs before the load (e.g. the bank's initial balances); the runner
        waits for them to complete. None: nothing to set up."""
        ...

    def generator(self) -> Generator: ...

    def final_generator(self) -> Generator | None: ...

    def checker_options(self) -> dict[str, Any]: ...


@runtime_checkable
class Consuming(Protocol):
    """A workload that reads the store's change stream while it writes (it needs the
    ``change-stream`` capability): the harness runs the consumer, which keeps reading until
    ``settle`` seconds pass with nothing new after the load."""

    settle: float


@runtime_checkable
class KeyScoped(Protocol):
    """A workload whose ops name only keys of its own range (from ``first_key``), so a soak can
    have the store forget them when the segment ends (:class:`isolde.harness.Forgetting`).
    ``keys_named()``: a container holding every key its ops named (and perhaps more of its
    range); valid once its generators are done."""

    def keys_named(self) -> Container[Any]: ...


@runtime_checkable
class TxnSized(Protocol):
    """A workload whose ops each touch several items in one transaction: ``txn_items`` is the
    most any op touches (the bank's read: every account), held against the store's limit
    (:class:`isolde.harness.TxnBounded`) before the run -- past it every such op would fail."""

    txn_items: int


COMMON = frozenset({"keys", "ops_per_key", "read_consistency"})


@dataclass(frozen=True)
class WorkloadSpec:
    """A workload plugin (entry point group ``isolde.workloads``): its name, a one-line summary,
    ``make(options)`` building it, and ``options``: a dataclass whose
    :func:`isolde.harness.option` fields are its own ``isolde run`` flags (their values reach
    the workload as ``WorkloadOptions.options``, by field name). ``reads``: which of the common
    options (``keys``, ``ops_per_key``, ``read_consistency``) it uses -- the others are refused
    on its command line; ``needs``: the store capabilities its ops need."""

    name: str
    summary: str
    make: Callable[[WorkloadOptions], Workload]
    options: type | None = None
    reads: frozenset[str] = COMMON
    needs: frozenset[str] = frozenset()


WORKLOADS: Registry[WorkloadSpec] = Registry("isolde.workloads", "workload",
                                             named(WorkloadSpec, "isolde.workloads.WorkloadSpec"))


def make_workload(name: str, options: WorkloadOptions) -> Workload:
    spec = WORKLOADS.get_or_refuse(name)
    if spec.options is not None:  # its own options, checked (and defaulted) by its dataclass
        typed: Any = build(spec.options, options.options, f"workload {name!r}")
        options = dataclasses.replace(options, options=dataclasses.asdict(typed))
    return spec.make(options)
