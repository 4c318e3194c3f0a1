"""isolde: a Jepsen-style consistency checker and test harness for serverless data stores."""

from ._errors import BadInput, IsoldeError, UsageError
from .checkers import Anomaly, CheckConfig, Checker, Result, compose, make_checker, run_checkers
from .harness import Scenario, Store, run_scenario
from .histories import History, Op, load_history

__version__ = "0.1.0"

__all__ = [
    "Anomaly",
    "BadInput",
    "CheckConfig",
    "Checker",
    "History",
    "IsoldeError",
    "Op",
    "Result",
    "Scenario",
    "Store",
    "UsageError",
    "__version__",
    "compose",
    "load_history",
    "make_checker",
    "run_checkers",
    "run_scenario",
]
