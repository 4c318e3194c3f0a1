"""The Checker protocol, check options, and the registry of checkers by name."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .._errors import UsageError
from ..histories import History
from ._budget import run_within_budget
from ._result import Result


@dataclass(frozen=True)
class CheckConfig:
    """Options any checker may read; each checker ignores what it does not use."""

    time_limit: float | None = None  # seconds per check; exceeding it yields "unknown"
    memory_limit: int | None = None  # bytes per check; exceeding it yields "unknown"
    model: str | None = None  # linearizability model name
    consistency_models: tuple[str, ...] = ()  # isolation models that must hold
    staleness_sla: str | None = None  # e.g. "p99=500ms,max=2s"
    details: bool = False  # write per-item detail files into out_dir
    out_dir: Path | None = None  # where checkers may write extra files
    workers: int | None = None  # parallel worker processes (None: choose)
    options: dict[str, Any] = field(default_factory=dict)  # workload-specific (e.g. bank total)


@runtime_checkable
class Checker(Protocol):
    """``check`` reads a history and returns a Result; it never raises on a bad history's luck
    (a budget ends in "unknown"), only on unusable input (BadInput)."""

    name: str

    def check(self, history: History) -> Result: ...


CheckerFactory = Callable[[CheckConfig], Checker]

# name -> "module:attribute" of a factory taking a CheckConfig; imported lazily so that
# `isolde check` pays only for the checkers it uses.
CHECKERS: dict[str, str] = {
    "stats": "isolde.checkers._stats:StatsChecker",
    "staleness": "isolde.checkers._staleness:StalenessChecker",
    "causal": "isolde.checkers._causal:CausalChecker",
    "read-promises": "isolde.checkers._read_promises:ReadPromisesChecker",
    "linearizable": "isolde.checkers.linearizable:LinearizableChecker",
    "list-append": "isolde.checkers.isolation:ListAppendChecker",
    "bank": "isolde.checkers._bank:BankChecker",
    "rw-register": "isolde.checkers.isolation:RwRegisterChecker",
}


def make_checker(name: str, config: CheckConfig | None = None) -> Checker:
    target = CHECKERS.get(name)
    if target is None:
        raise UsageError(f"unknown checker {name!r} (known: {', '.join(sorted(CHECKERS))})")
    module, _, attr = target.partition(":")
    factory: CheckerFactory = getattr(importlib.import_module(module), attr)
    return factory(config or CheckConfig())


def run_checkers(
    history: History, names: list[str], config: CheckConfig | None = None
) -> dict[str, Result]:
    """Run each named checker on the history; results keyed by name, in the given order. With
    a time or memory limit in ``config``, every checker is held to it (see ``_budget``)."""
    cfg = config or CheckConfig()
    for n in names:  # resolve all names before any work
        make_checker(n, cfg)
    return run_within_budget(names, history, cfg, make_checker)
