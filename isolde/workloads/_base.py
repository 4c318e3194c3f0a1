"""The Workload protocol and the registry of workloads by name."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from .._errors import UsageError
from ..harness._generators import Generator


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

    def generator(self) -> Generator: ...

    def final_generator(self) -> Generator | None: ...

    def checker_options(self) -> dict[str, Any]: ...

    # Optional: ``setup_generator() -> Generator | None``, ops run by one worker before the
    # load (e.g. the bank's initial balances); the runner waits for them to complete.


WORKLOADS: dict[str, str] = {
    "register": "isolde.workloads.register:RegisterWorkload",
    "causal": "isolde.workloads.causal:CausalWorkload",
    "list-append": "isolde.workloads.list_append:ListAppendWorkload",
    "bank": "isolde.workloads.bank:BankWorkload",
    "rw-register": "isolde.workloads.list_append:RwRegisterWorkload",
}


def make_workload(name: str, options: WorkloadOptions) -> Workload:
    target = WORKLOADS.get(name)
    if target is None:
        raise UsageError(f"unknown workload {name!r} (known: {', '.join(sorted(WORKLOADS))})")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)(options)
