"""Transactional isolation checkers (Elle-style): list-append and rw-register."""

from ._anomaly import (
    DATA,
    PROCESS,
    REALTIME,
    RW,
    RW_PROCESS,
    RW_REALTIME,
    RWISH,
    WR,
    WW,
    Found,
    Step,
)
from ._cycles import CYCLE_TYPES, SPECS, Budget, BudgetExceeded, Spec, classify, find_cycle
from ._graph import Graph, process_edges, realtime_edges
from ._list_append import ListAppendChecker
from ._models import (
    DEFAULT_MODELS,
    MODELS,
    check_names,
    forbidden,
    ruled_out,
    strongest_allowed,
)
from ._rw_register import RwRegisterChecker
from ._scc import components, scc_labels, scipy_labels, tarjan
from ._txns import Txns, extract_txns, txn_checker

__all__ = [
    "CYCLE_TYPES",
    "DATA",
    "DEFAULT_MODELS",
    "MODELS",
    "PROCESS",
    "REALTIME",
    "RW",
    "RWISH",
    "RW_PROCESS",
    "RW_REALTIME",
    "SPECS",
    "WR",
    "WW",
    "Budget",
    "BudgetExceeded",
    "Found",
    "Graph",
    "ListAppendChecker",
    "RwRegisterChecker",
    "Spec",
    "Step",
    "Txns",
    "check_names",
    "classify",
    "components",
    "extract_txns",
    "find_cycle",
    "forbidden",
    "process_edges",
    "realtime_edges",
    "ruled_out",
    "scc_labels",
    "scipy_labels",
    "strongest_allowed",
    "tarjan",
    "txn_checker",
]
