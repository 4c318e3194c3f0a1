"""Transactional isolation checkers (Elle-style): list-append and rw-register."""

from ._cycles import CYCLE_TYPES
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
from ._txns import txn_checker

# What a user needs: the two checkers (and which one judges a history), the anomaly names, and
# the consistency models; the graph, cycle search and SCC machinery are internals.
__all__ = [
    "CYCLE_TYPES",
    "DEFAULT_MODELS",
    "MODELS",
    "ListAppendChecker",
    "RwRegisterChecker",
    "check_names",
    "forbidden",
    "ruled_out",
    "strongest_allowed",
    "txn_checker",
]
