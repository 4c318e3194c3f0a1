"""The Checker protocol, check options, and the registry of checkers by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .._plugins import PluginError, Registry
from ..histories import History
from ._budget import run_within_budget
from ._result import Result


@dataclass(frozen=True)
class CheckConfig:
    """Options any checker may read; each checker ignores what it does not use."""

    time_limit: float | None = None  # seconds per check; exceeding it yields "unknown"
    memory_limit: int | None = None  # bytes per check; exceeding it yields "unknown"
    model: str | None = None  # linearizability model name
    failed_cas: str = "auto"  # when a failed CAS is evidence: auto | evidence | ignore
    initial: tuple[Any, ...] = ()  # (value,): the models' initial value (--initial); (): none
    nil_reads: str = "value"  # an ok read of nil: "value" (saw nil) or "unconstrained"
    consistency_models: tuple[str, ...] = ()  # isolation models that must hold
    staleness_sla: str | None = None  # e.g. "p99=500ms,max=2s"
    stream_lag_sla: str | None = None  # change-stream lag, e.g. "p99=500ms,max=2s"
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



def _validate(name: str, obj: object) -> CheckerFactory:
    if not callable(obj):
        raise TypeError(f"expected a factory taking a CheckConfig, got {type(obj).__name__}")
    return obj


# Every ``isolde.checkers`` entry point (isolde's own included): name -> a factory taking a
# CheckConfig, imported when first used so that `isolde check` pays only for what it runs.
CHECKERS: Registry[CheckerFactory] = Registry("isolde.checkers", "checker", _validate)


def make_checker(name: str, config: CheckConfig | None = None) -> Checker:
    checker = CHECKERS.get_or_refuse(name)(config or CheckConfig())
    if checker.name != name:  # results are keyed by the checker's own name
        raise PluginError(f"checker plugin {name!r} makes a checker named {checker.name!r}")
    return checker


def run_checkers(
    history: History, names: list[str], config: CheckConfig | None = None
) -> dict[str, Result]:
    """Run each named checker on the history; results keyed by name, in the given order. With
    a time or memory limit in ``config``, every checker is held to it (see ``_budget``)."""
    cfg = config or CheckConfig()
    for n in names:  # resolve all names before any work
        make_checker(n, cfg)
    return run_within_budget(names, history, cfg, make_checker)
