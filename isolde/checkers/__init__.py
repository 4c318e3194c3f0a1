"""Checkers: read a history, return a Result of anomalies."""

from ._auto import KINDS, default_checkers, op_kinds, refuse_unjudgeable
from ._base import CHECKERS, CheckConfig, Checker, make_checker, run_checkers
from ._causal import CausalChecker
from ._result import (
    UNKNOWN,
    Anomaly,
    Result,
    Validity,
    compose,
    exit_code,
    merge_validity,
    true_counts,
)
from ._sla import parse_sla
from ._staleness import StalenessChecker
from ._stats import StatsChecker, nearest_rank
from ._stream import STREAM_STATES, ChangeStreamChecker, parse_lag_sla
from ._values import show_value

__all__ = [
    "CHECKERS",
    "KINDS",
    "STREAM_STATES",
    "UNKNOWN",
    "Anomaly",
    "CausalChecker",
    "ChangeStreamChecker",
    "CheckConfig",
    "Checker",
    "Result",
    "StalenessChecker",
    "StatsChecker",
    "Validity",
    "compose",
    "default_checkers",
    "exit_code",
    "make_checker",
    "merge_validity",
    "nearest_rank",
    "op_kinds",
    "parse_lag_sla",
    "parse_sla",
    "refuse_unjudgeable",
    "run_checkers",
    "show_value",
    "true_counts",
]
