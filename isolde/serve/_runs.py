"""The runs under a store directory, as the serve index lists them (read-only, defensive: a run
still being written has no results.json yet, and any file may be missing or half-written)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

RUN_MARKERS = ("history.jsonl", "scenario.json")
_STAMP = re.compile(r"^(\d{8}T\d{6})(?:\.\d+)?Z(?:-\d+)?$")


@dataclass(frozen=True)
class RunInfo:
    """One run directory: ``path`` is relative to the store directory, POSIX style."""

    path: str
    time: str
    store: str
    workload: str
    nemesis: str
    verdict: str  # valid | invalid | unknown | running
    anomaly_types: tuple[str, ...]
    ops: int | None
    duration_s: float | None
    has_report: bool


def find_runs(store_dir: Path) -> list[RunInfo]:
    """Every run directory up to two levels below ``store_dir`` (``<workload>-<store>/<time>``),
    newest first. Symlinks (``latest``) are not followed, so each run is listed once."""
    runs = [run_info(store_dir, d) for d in _run_dirs(store_dir)]
    return sorted(runs, key=lambda r: r.time, reverse=True)


def _run_dirs(store_dir: Path) -> Iterator[Path]:
    for child in _subdirs(store_dir):
        if _is_run(child):
            yield child
            continue
        yield from (d for d in _subdirs(child) if _is_run(d))


def _subdirs(d: Path) -> list[Path]:
    try:
        return sorted(p for p in d.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []


def _is_run(d: Path) -> bool:
    return any((d / m).is_file() for m in RUN_MARKERS)


def run_info(store_dir: Path, d: Path) -> RunInfo:
    scenario = read_json(d / "scenario.json")
    results = read_json(d / "results.json")
    stats = results.get("stats") or (results.get("checkers") or {}).get("stats") or {}
    return RunInfo(
        path=d.relative_to(store_dir).as_posix(),
        time=_time(d),
        store=str(scenario.get("store") or "?"),
        workload=str(scenario.get("workload") or "?"),
        nemesis=",".join(map(str, scenario.get("nemesis") or [])) or "none",
        verdict=verdict(results) if (d / "results.json").is_file() else "running",
        anomaly_types=tuple(map(str, results.get("anomaly_types") or ())),
        ops=stats.get("ops") if isinstance(stats.get("ops"), int) else None,
        duration_s=_number(stats.get("duration_s")),
        has_report=(d / "report.html").is_file(),
    )


def verdict(results: dict[str, Any]) -> str:
    valid = results.get("valid")
    return "valid" if valid is True else "invalid" if valid is False else "unknown"


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or {} if it is missing, unreadable or not an object."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if isinstance(data, list) and len(data) == 1:  # `isolde check --out` of one history
        data = data[0]
    return data if isinstance(data, dict) else {}


def _time(d: Path) -> str:
    m = _STAMP.match(d.name)
    if m:
        t = dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%S")
    else:
        t = dt.datetime.fromtimestamp(d.stat().st_mtime, dt.UTC).replace(tzinfo=None)
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) else None
