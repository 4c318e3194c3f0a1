"""Linearizability: the Model protocol, built-in models, the WGL search and the checker."""

from ._checker import PARALLEL_MIN_OPS, LinearizableChecker
from ._explain import ANOMALY
from ._knossos import FifoQueue, MultiRegisterTxn, Mutex, SetModel, UnorderedQueue
from ._model import LinOp, Model, ModelOptions, Reach, State, hashable
from ._models import KV, MODELS, CasRegister, MultiRegister, Register
from ._prepare import choose_model, make_model, prepare
from ._wgl import SearchResult, search

__all__ = [
    "ANOMALY",
    "KV",
    "MODELS",
    "PARALLEL_MIN_OPS",
    "CasRegister",
    "FifoQueue",
    "LinOp",
    "LinearizableChecker",
    "Model",
    "ModelOptions",
    "MultiRegister",
    "MultiRegisterTxn",
    "Mutex",
    "Reach",
    "Register",
    "SearchResult",
    "SetModel",
    "State",
    "UnorderedQueue",
    "choose_model",
    "hashable",
    "make_model",
    "prepare",
    "search",
]
