"""What a soak is: the run's scenario cut into segments, and where it keeps its state."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..harness import Scenario

if TYPE_CHECKING:  # matplotlib: imported only when a report is drawn
    from ..report.html import RunFlag

# Segment i numbers its keys from i * KEY_STRIDE, so no key lives in two segments (a segment
# would need a billion fresh keys to run into the next one's).
KEY_STRIDE = 1_000_000_000

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$", re.I)
_UNIT_S = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """``8h``, ``10m``, ``30s``, ``1.5h`` or plain seconds -> seconds (positive, finite)."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"expected a duration like 8h, 10m, 30s or seconds, got {text!r}")
    seconds = float(m.group(1)) * _UNIT_S[(m.group(2) or "s").lower()]
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"must be a positive duration, got {text!r}")
    return seconds


@dataclass(frozen=True)
class SoakPlan:
    """A soak: ``scenario`` (its ``time_limit`` ignored) run for ``total_s`` seconds of load in
    segments of ``segment_s``; each closed segment checked by one of ``check_workers``
    processes while the next one runs."""

    scenario: Scenario
    total_s: float
    segment_s: float
    run_dir: Path
    argv: tuple[str, ...]  # the soak's own arguments, so --resume rebuilds the same plan
    on_anomaly: str | None = None
    check_workers: int = 1
    # `isolde run`'s flags for the scenario: a segment report rebuilds its command from them.
    run_flags: Mapping[str, RunFlag] = field(default_factory=dict)

    @property
    def segments(self) -> int:
        return max(1, math.ceil(self.total_s / self.segment_s - 1e-9))

    def segment_length(self, index: int) -> float:
        """Seconds of load of segment ``index`` (the last one takes what is left)."""
        return min(self.segment_s, self.total_s - index * self.segment_s)

    def segment_dir(self, index: int) -> Path:
        return self.run_dir / "segments" / f"{index:04d}"
