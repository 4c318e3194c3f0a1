"""History model: ops, histories, and reading/writing them."""

from ._dsl import parse_txn, txn_history
from ._edn import iter_edn, read_edn
from ._formats import DETECTORS, READERS, detect_format, load_history
from ._history import FAIL, INFO, INVOKE, OK, History, hashable
from ._input import DEFAULT_MAX_LINE, STDIN, HistoryInput, LoadLimits
from ._jsonl import HistoryWriter, op_from_dict, read_jsonl, write_jsonl
from ._op import NEMESIS, OP_TYPES, Op, Process
from ._porcupine import detect_porcupine, read_porcupine_etcd, read_porcupine_kv

__all__ = [
    "DEFAULT_MAX_LINE",
    "DETECTORS",
    "FAIL",
    "INFO",
    "INVOKE",
    "NEMESIS",
    "OK",
    "OP_TYPES",
    "READERS",
    "STDIN",
    "History",
    "HistoryInput",
    "HistoryWriter",
    "LoadLimits",
    "Op",
    "Process",
    "detect_format",
    "detect_porcupine",
    "hashable",
    "iter_edn",
    "load_history",
    "op_from_dict",
    "parse_txn",
    "read_edn",
    "read_jsonl",
    "read_porcupine_etcd",
    "read_porcupine_kv",
    "txn_history",
    "write_jsonl",
]
