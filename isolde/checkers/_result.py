"""Checker results as data: Anomaly, Result, and composition of several results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Validity = bool | Literal["unknown"]
UNKNOWN: Literal["unknown"] = "unknown"


@dataclass(frozen=True)
class Anomaly:
    """One thing wrong with a history: an Elle-style ``type``, the op indices involved, a
    one-paragraph explanation, and structured ``data`` (edges, states, figures) for tools."""

    type: str
    ops: tuple[int, ...] = ()
    explanation: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type, "ops": list(self.ops),
                             "explanation": self.explanation}
        if self.data:
            d.update({k: v for k, v in self.data.items() if k not in d})
        return d


@dataclass
class Result:
    """A verdict (True, False or "unknown") with its anomalies and checker-specific figures."""

    valid: Validity
    anomalies: list[Anomaly] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def anomaly_types(self) -> list[str]:
        return sorted({a.type for a in self.anomalies})

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "valid": self.valid,
            "anomaly_types": self.anomaly_types,
            "anomalies": [a.to_json() for a in self.anomalies],
        }
        for k, v in self.data.items():
            d.setdefault(k, v)
        return d


def merge_validity(values: Iterable[Validity]) -> Validity:
    """False beats unknown beats True; no values at all is True."""
    out: Validity = True
    for v in values:
        if v is False:
            return False
        if v == UNKNOWN:
            out = UNKNOWN
    return out


def true_counts(r: Result) -> dict[str, int]:
    """Anomalies found per type: a checker that lists only a sample of each type gives the
    totals in ``data["anomaly_counts"]`` (which may also count types its models allow)."""
    listed = Counter(a.type for a in r.anomalies)
    totals = r.data.get("anomaly_counts") or {}
    allowed = set(r.data.get("allowed_anomalies") or ())
    types = {*listed, *(t for t in totals if t not in allowed)}
    return {t: max(listed.get(t, 0), totals.get(t, 0)) for t in sorted(types)}


def _counted(r: Result) -> dict[str, Any]:
    """A checker's results.json entry, with its true counts and, when its anomaly list is a
    sample, per type how many are listed of how many found."""
    d = r.to_json()
    counts = true_counts(r)
    d.setdefault("anomaly_counts", counts)  # an isolation checker's also counts allowed types
    listed = Counter(a.type for a in r.anomalies)
    sample = {t: {"listed": listed.get(t, 0), "found": n} for t, n in counts.items()
              if n > listed.get(t, 0)}
    if sample:
        d["anomalies_sample"] = sample
    return d


def compose(results: Mapping[str, Result]) -> dict[str, Any]:
    """The results.json shape: overall verdict, union of anomaly types, the true count of each
    type over all checkers, and each checker's result.

    The ``stats`` checker is reported under the top-level ``stats`` key as well.
    """
    checkers = {name: _counted(r) for name, r in results.items()}
    total: Counter[str] = Counter()
    for r in results.values():
        total.update(true_counts(r))
    out: dict[str, Any] = {
        "valid": merge_validity(r.valid for r in results.values()),
        "anomaly_types": sorted({t for r in results.values() for t in r.anomaly_types}),
        "anomaly_counts": dict(sorted(total.items())),
        "checkers": checkers,
    }
    if "stats" in results:
        out["stats"] = checkers["stats"]
    return out


def exit_code(valid: Validity) -> int:
    """Jepsen's exit codes: 0 valid, 1 invalid, 2 unknown."""
    if valid is True:
        return 0
    if valid is False:
        return 1
    return 2
