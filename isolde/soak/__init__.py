"""Soak mode: a long run recorded in segments, each checked while the load goes on."""

from ._cli import add_soak_options, soak_command
from ._plan import KEY_STRIDE, SoakPlan, parse_duration
from ._soak import Soak, checker_names, prepare, segment_workload
from ._state import SoakState, compare_baseline, read_soak_json, recover

__all__ = [
    "KEY_STRIDE",
    "Soak",
    "SoakPlan",
    "SoakState",
    "add_soak_options",
    "checker_names",
    "compare_baseline",
    "parse_duration",
    "prepare",
    "read_soak_json",
    "recover",
    "segment_workload",
    "soak_command",
]
