"""Writing report.html for a run directory, or for a history and its results."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from ..._errors import BadInput
from ...histories import load_history
from ._command import RunFlag
from ._ops import op_table
from ._page import Caps, ReportInput, render_html

REPORT_FILE = "report.html"
MAX_BYTES = 5_000_000
# (store, workload) -> `isolde run`'s flags for them (the store's and workload's own included).
RunFlags = Callable[[str, str], Mapping[str, RunFlag]]
# Tried in turn until the page fits MAX_BYTES (the page says what it left out).
CAPS = (Caps(), Caps(listed=20, figures_per_type=1), Caps(listed=5, figures_per_type=0))


def write_report(out: Path, inp: ReportInput) -> Path:
    """Render ``inp`` to ``out`` (atomically: a reader never sees half a page); returns ``out``."""
    table = op_table(inp.history) if inp.history is not None else None
    for caps in CAPS:
        page = render_html(inp, caps, table).encode()
        if len(page) <= MAX_BYTES:
            break
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_bytes(page)
    os.replace(tmp, out)
    return out


def load_report_input(path: Path, results: Path | None,
                      run_flags: RunFlags) -> tuple[ReportInput, Path]:
    """What to draw for ``path`` (a run directory, or a history file) and where the page goes:
    the run directory, or beside the history. Missing or unreadable files are BadInput."""
    if path.is_dir():
        history_path, directory = path / "history.jsonl", path
    else:
        history_path, directory = path, path.parent
    results_path = results or directory / "results.json"
    if not history_path.is_file():
        raise BadInput("no history here (expected history.jsonl in a run directory)",
                       str(history_path))
    if not results_path.is_file():
        raise BadInput("no results to report (check the history with `isolde check --out "
                       "results.json`, or pass --results FILE)", str(results_path))
    data = _read_json(results_path)
    if isinstance(data, list) and len(data) == 1:  # `isolde check --out` of one path
        data = data[0]
    if not isinstance(data, dict) or "valid" not in data:
        raise BadInput("not an isolde results file (no 'valid' key)", str(results_path))
    scenario_path = directory / "scenario.json"
    scenario = _read_json(scenario_path) if scenario_path.is_file() else None
    inp = ReportInput(results=data, history=load_history(history_path),
                      scenario=scenario if isinstance(scenario, dict) else None,
                      source=str(directory if path.is_dir() else path),
                      run_flags=_flags_for(scenario, run_flags))
    return inp, directory / REPORT_FILE


def _flags_for(scenario: Any, run_flags: RunFlags) -> Mapping[str, RunFlag]:
    """The run flags of the scenario's own store and workload (their flags differ)."""
    if not isinstance(scenario, dict):
        return run_flags("memory", "register")
    return run_flags(str(scenario.get("store", "memory")),
                        str(scenario.get("workload", "register")))


def _read_json(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise BadInput(f"not valid JSON ({e})", str(path)) from None
    except OSError as e:
        raise BadInput(f"cannot read it ({e.strerror})", str(path)) from None
