"""History model: ops, histories, and reading/writing them."""

from ._convert import convert
from ._dsl import parse_txn, txn_history
from ._edn import detect_edn, dumps_edn, iter_edn, read_edn, write_edn
from ._formats import DETECTORS, READERS, detect_format, load_history
from ._history import FAIL, INFO, INVOKE, OK, History, cite_position, hashable
from ._input import DEFAULT_MAX_LINE, STDIN, HistoryInput, LoadLimits
from ._jsonl import HistoryWriter, op_from_dict, read_jsonl, write_jsonl
from ._op import NEMESIS, OP_TYPES, Op, Process
from ._porcupine import detect_porcupine, read_porcupine_etcd, read_porcupine_kv
from ._txncols import ColumnsView, TxnColumns

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
    "ColumnsView",
    "History",
    "HistoryInput",
    "HistoryWriter",
    "LoadLimits",
    "Op",
    "Process",
    "TxnColumns",
    "cite_position",
    "convert",
    "detect_edn",
    "detect_format",
    "detect_porcupine",
    "dumps_edn",
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
    "write_edn",
    "write_jsonl",
]
