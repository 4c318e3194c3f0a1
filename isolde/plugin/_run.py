"""``isolde_run``: one isolde run from Python (a test), returning its verdict and report."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..harness import run_scenario
from ._apps import AppStore, BankApp, RegisterApp


@dataclass(frozen=True)
class RunResult:
    """A run's verdict (``valid``: True, False or ``"unknown"``), its anomalies (each a dict with
    ``type`` and ``explanation``), and where its report is (``report_path``: results.json)."""

    valid: Any
    anomalies: list[dict[str, Any]]
    anomaly_types: list[str]
    run_dir: Path
    results: dict[str, Any]

    @property
    def report_path(self) -> Path:
        return self.run_dir / "results.json"

    def explain(self, limit: int = 5) -> str:
        """The verdict, the first ``limit`` anomaly explanations, and the report's path."""
        verdict = {True: "VALID", False: "INVALID"}.get(self.valid, "UNKNOWN")
        counts = self.results.get("anomaly_counts") or {}
        lines = [f"isolde: {verdict}"
                 + (f" ({', '.join(f'{t} {n}' for t, n in counts.items())})" if counts else "")]
        lines += [f"  {a['type']}: {a.get('explanation', '')}" for a in self.anomalies[:limit]]
        if len(self.anomalies) > limit:
            lines.append(f"  ... {len(self.anomalies) - limit} more listed")
        lines.append(f"report: {self.report_path}")
        return "\n".join(lines)

    def assert_valid(self) -> None:
        """Raise AssertionError, saying what was found and where the report is, unless valid."""
        if self.valid is not True:
            raise AssertionError(self.explain())

    def __repr__(self) -> str:  # what pytest shows for a failing ``assert result.valid``
        return self.explain()


def run_result(run_dir: Path, results: dict[str, Any]) -> RunResult:
    anomalies = [a for r in results["checkers"].values() for a in r.get("anomalies", [])]
    return RunResult(results["valid"], anomalies, results.get("anomaly_types", []), run_dir,
                     results)


def isolde_run(store: str = "memory", workload: str = "register",
               nemesis: Sequence[str] = (), time_limit: float = 5.0, seed: int = 0,
               app: Callable[[], BankApp | RegisterApp | Awaitable[BankApp | RegisterApp]]
               | None = None,
               store_dir: Path | None = None, args: Sequence[str] = ()) -> RunResult:
    """Run ``workload`` against ``store`` (or against the user's ``app``, made once per worker)
    with ``nemesis`` faults, checked as ``isolde run`` checks it; ``args`` are more ``isolde
    run`` options (e.g. ``["--concurrency", "5"]``)."""
    from ..cli import scenario_from_argv

    # An app is no registered store: its command line is read as the memory store's (none of
    # whose flags are given), then the scenario names the app.
    argv = ["--store", "memory" if app is not None else store, "--workload", workload,
            "--time-limit", str(time_limit),
            "--seed", str(seed), *args]
    if nemesis:
        argv += ["--nemesis", ",".join(nemesis)]
    scenario = scenario_from_argv(argv, preflight=app is None)
    if app is not None:
        scenario = dataclasses.replace(scenario, store="app", store_options={})
    scenario = dataclasses.replace(
        scenario, store_dir=store_dir or Path(tempfile.mkdtemp(prefix="isolde-runs-")))
    outcome = run_scenario(scenario,
                           store=AppStore(app, workload, seed) if app is not None else None)
    return run_result(outcome.run_dir, outcome.results)
