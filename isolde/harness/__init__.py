"""The harness: generators, the runner, stores and scenarios."""

from ._generators import (
    Context,
    EachWorker,
    FnGen,
    Generator,
    Independent,
    Lazy,
    Limit,
    Mix,
    Once,
    Ops,
    OpSpec,
    Phases,
    Stagger,
    TimeLimit,
    Wait,
    exponential_index,
    rate,
)
from ._results import link_latest, new_run_dir, write_json
from ._runner import Counters, Recorder, RunLimits, Runner
from ._scenario import Outcome, Scenario, run_scenario
from ._store import Client, ProcessControl, Redirectable, Store, require
from .stores import STORES, make_store

__all__ = [
    "STORES",
    "Client",
    "Context",
    "Counters",
    "EachWorker",
    "FnGen",
    "Generator",
    "Independent",
    "Lazy",
    "Limit",
    "Mix",
    "Once",
    "OpSpec",
    "Ops",
    "Outcome",
    "Phases",
    "ProcessControl",
    "Recorder",
    "Redirectable",
    "RunLimits",
    "Runner",
    "Scenario",
    "Stagger",
    "Store",
    "TimeLimit",
    "Wait",
    "exponential_index",
    "link_latest",
    "make_store",
    "new_run_dir",
    "rate",
    "require",
    "run_scenario",
    "write_json",
]
