"""Checkers: read a history, return a Result of anomalies."""

from ._base import CHECKERS, CheckConfig, Checker, make_checker, run_checkers
from ._result import UNKNOWN, Anomaly, Result, Validity, compose, exit_code, merge_validity
from ._stats import StatsChecker, nearest_rank

__all__ = [
    "CHECKERS",
    "UNKNOWN",
    "Anomaly",
    "CheckConfig",
    "Checker",
    "Result",
    "StatsChecker",
    "Validity",
    "compose",
    "exit_code",
    "make_checker",
    "merge_validity",
    "nearest_rank",
    "run_checkers",
]
