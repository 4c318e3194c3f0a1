"""The staleness SLA: ``p99=500ms,max=2s`` parsed into limits, and checked against figures."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import UsageError

# Time-staleness metrics (a duration limit) and the others (a plain number).
TIME_METRICS = {"p50": "p50", "p95": "p95", "p99": "p99", "p999": "p999", "p99.9": "p999",
                "max": "max"}
OTHER_METRICS = ("stale_fraction", "version_max", "version_mean")
_UNITS_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0,
             "h": 3_600_000.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|µs|ms|s|m|h)?\s*$")


@dataclass(frozen=True)
class Limit:
    """One SLA term: ``metric`` must be at most ``limit`` (ms for time metrics)."""

    metric: str
    limit: float
    text: str  # as the user wrote it, for messages

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "limit": self.limit, "text": self.text}


def parse_sla(spec: str, flag: str = "--staleness-sla",
              metrics: tuple[str, ...] | None = None) -> tuple[Limit, ...]:
    """``"p99=500ms,max=2s,stale_fraction=1%"`` -> limits; raises UsageError (exit 254).

    Time metrics p50/p95/p99/p999 (or p99.9)/max take a duration (ns, us, ms, s, m, h; a bare
    number is ms); ``stale_fraction`` a fraction or a percentage; ``version_max`` and
    ``version_mean`` a number of versions. ``flag`` names the option in messages; ``metrics``:
    the metrics besides the time ones it takes (default: the staleness ones; none for a
    latency SLA).
    """
    if metrics is None:
        metrics = OTHER_METRICS
    limits: list[Limit] = []
    terms = [t.strip() for t in spec.split(",") if t.strip()]
    if not terms:
        raise UsageError(f"{flag}: empty SLA {spec!r} (e.g. p99=500ms,max=2s)")
    for term in terms:
        name, eq, val = term.partition("=")
        name = name.strip().lower()
        if not eq or not val.strip():
            raise UsageError(f"{flag}: expected metric=limit, got {term!r}")
        if name in TIME_METRICS:
            m = _DURATION.match(val)
            if not m:
                raise UsageError(f"{flag}: {name} needs a duration like 500ms or 2s, "
                                 f"got {val.strip()!r}")
            limits.append(Limit(TIME_METRICS[name],
                                float(m.group(1)) * _UNITS_MS[m.group(2) or "ms"], term))
        elif name in metrics:
            limits.append(Limit(name, _number(name, val), term))
        else:
            known = ", ".join([*TIME_METRICS, *metrics])
            raise UsageError(f"{flag}: unknown metric {name!r} (known: {known})")
    return tuple(limits)


def _number(name: str, val: str) -> float:
    s = val.strip()
    pct = s.endswith("%")
    try:
        x = float(s[:-1] if pct else s)
    except ValueError:
        raise UsageError(f"--staleness-sla: {name} needs a number, got {s!r}") from None
    if x < 0:
        raise UsageError(f"--staleness-sla: {name} must not be negative, got {s!r}")
    return x / 100.0 if pct else x


def sla_figure(limit: Limit, figures: Mapping[str, Any]) -> float:
    """The measured value a limit is compared with, from the staleness figures."""
    if limit.metric in ("stale_fraction",):
        return float(figures["stale_fraction"])
    if limit.metric == "version_max":
        return float(figures["version_staleness"]["max"])
    if limit.metric == "version_mean":
        return float(figures["version_staleness"]["mean"])
    return float(figures["time_staleness_ms"][limit.metric])
