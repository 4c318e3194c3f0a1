"""soak.json: the soak's running summary, rebuilt from the segment directories on resume.

The files are the truth (a kill -9 can strike between any two writes): a segment directory
with ``results.json`` was checked, one with ``segment.json`` was recorded to its end, one with
only ``history.jsonl`` was cut short by the kill (its completed ops are kept and checked).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .._errors import UsageError
from ..checkers import merge_validity
from ..harness import write_json
from ._check import summarize
from ._plan import SoakPlan

SOAK_JSON = "soak.json"


@dataclass
class SoakState:
    plan: SoakPlan
    segments: dict[int, dict[str, Any]] = field(default_factory=dict)
    status: str = "running"  # running | finished | interrupted
    interrupted_by: str | None = None  # the signal's name (SIGINT, SIGTERM, SIGHUP)
    baseline: dict[str, Any] | None = None

    def entry(self, index: int) -> dict[str, Any]:
        return self.segments.setdefault(
            index, {"index": index, "dir": str(self.plan.segment_dir(index).relative_to(
                self.plan.run_dir)), "status": "running"})

    @property
    def valid(self) -> Any:
        """The worst verdict of the checked segments (False beats unknown beats True)."""
        return merge_validity(e["valid"] for e in self.segments.values() if "valid" in e)

    def to_json(self) -> dict[str, Any]:
        p = self.plan
        out: dict[str, Any] = {
            "status": self.status,
            "valid": self.valid,
            "time_limit_s": p.total_s,
            "segment_s": p.segment_s,
            "segments_planned": p.segments,
            "argv": list(p.argv),
            "scenario": p.scenario.to_json(),
            "segments": [self.segments[i] for i in sorted(self.segments)],
        }
        if self.interrupted_by is not None:
            out["interrupted_by"] = self.interrupted_by
        if self.baseline is not None:
            out["baseline"] = self.baseline
        return out

    def save(self) -> None:
        write_json(self.plan.run_dir / SOAK_JSON, self.to_json())


def segment_records(state: SoakState) -> list[dict[str, Any]]:
    """One JUnit record per segment (``isolde.report.junit_xml``): its results, or an error
    for one not checked (a soak cut short)."""
    out: list[dict[str, Any]] = []
    for i in sorted(state.segments):
        seg = state.plan.segment_dir(i)
        try:
            results = orjson.loads((seg / "results.json").read_bytes())
        except FileNotFoundError:
            results = {"error": f"segment {i} was not checked ({state.segments[i]['status']})"}
        out.append({"path": str(seg / "history.jsonl"), **results})
    return out


def read_soak_json(run_dir: Path) -> dict[str, Any]:
    path = run_dir / SOAK_JSON
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (not a soak's run directory)") from None
    except orjson.JSONDecodeError as e:
        raise UsageError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise UsageError(f"{path}: not a soak summary (no segments list)")
    return data


def recover(state: SoakState, previous: dict[str, Any]) -> list[int]:
    """Rebuild the state of a killed soak from its directories; returns the segments recorded
    but not checked (to check now), in order."""
    known = {int(e["index"]): e for e in previous["segments"]}
    seg_root = state.plan.run_dir / "segments"
    to_check: list[int] = []
    for d in sorted(seg_root.iterdir()) if seg_root.is_dir() else []:
        if not (d.name.isdigit() and (d / "history.jsonl").exists()):
            continue
        i = int(d.name)
        e = state.entry(i)
        e.update(known.get(i, {}))
        if (d / "results.json").exists():
            if "valid" not in e:  # checked, but killed before soak.json said so
                e.update(summarize(orjson.loads((d / "results.json").read_bytes())))
            e["status"] = "checked"
            continue
        if not (d / "segment.json").exists():
            e["interrupted"] = True  # the kill struck while it ran: its completed ops count
            write_json(d / "segment.json", {"index": i, "interrupted": True})
        e["status"] = "recorded"
        to_check.append(i)
    return to_check


def compare_baseline(current: dict[str, Any], baseline: dict[str, Any], threshold: float,
                     where: str) -> dict[str, Any]:
    """Regressions of ``current`` against ``baseline`` (both soak.json): a latency p99 (per
    operation) or staleness p99 whose median over segments rose by more than ``threshold``
    (0.2 = 20 %), and anomaly types the baseline never saw."""
    regressions: list[dict[str, Any]] = []
    for metric, now in _p99s(current).items():
        before = _p99s(baseline).get(metric)
        if before is not None and now > before * (1 + threshold):
            regressions.append({"metric": metric, "baseline": before, "now": now,
                                "change": (now / before - 1) if before else None})
    seen = {t for e in baseline["segments"] for t in e.get("anomaly_types", [])}
    for t in sorted({t for e in current["segments"] for t in e.get("anomaly_types", [])} - seen):
        regressions.append({"metric": "anomaly-type", "new": t})
    return {"dir": where, "threshold": threshold, "regressions": regressions}


def _p99s(soak: dict[str, Any]) -> dict[str, float]:
    """Per metric, the median over checked segments of the segment p99s (a median, so one
    segment hit by a fault burst does not decide the comparison)."""
    per: dict[str, list[float]] = {}
    for e in soak["segments"]:
        for f, q in (e.get("latency_ms") or {}).items():
            per.setdefault(f"latency_ms.{f}.p99", []).append(q["p99"])
        if "staleness_ms" in e:
            per.setdefault("staleness_ms.p99", []).append(e["staleness_ms"]["p99"])
    return {k: statistics.median(v) for k, v in per.items()}
