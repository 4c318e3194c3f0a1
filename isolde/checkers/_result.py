"""Checker results as data: Anomaly, Result, and composition of several results."""

from __future__ import annotations

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


def compose(results: Mapping[str, Result]) -> dict[str, Any]:
    """The results.json shape: overall verdict, union of anomaly types, each checker's result.

    The ``stats`` checker is reported under the top-level ``stats`` key as well.
    """
    checkers = {name: r.to_json() for name, r in results.items()}
    out: dict[str, Any] = {
        "valid": merge_validity(r.valid for r in results.values()),
        "anomaly_types": sorted({t for r in results.values() for t in r.anomaly_types}),
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
