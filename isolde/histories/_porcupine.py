"""Importers for Porcupine's test logs: Jepsen etcd logs and 6.824-style key/value logs.

Formats: ``../shared/corpus/porcupine/README.md``. Neither format has timestamps, so an op's
``time`` is its line number (only the order of events matters to the linearizability checker).

* etcd (``porcupine-etcd``): ``INFO  jepsen.util - <process> <type> <f> <value>`` lines for a
  single register. ``:info ... :timed-out`` completions take the arguments of their invocation
  and record ``error: "timed-out"``; ``:fail :read :timed-out`` is a failed read (no effect).
  A ``:fail :cas`` is a compare that did not hold (etcd answers so only then), recorded as
  ``error: "precondition-failed"``: evidence about the value, as Porcupine reads it.
* kv (``porcupine-kv``): one EDN map per line with ``:process :type :f :key :value``; the op's
  value becomes Jepsen's independent tuple ``[key, value]`` so per-key views work unchanged.
"""

from __future__ import annotations

import os
import re
from typing import Any

from .._errors import BadInput
from ._history import History
from ._input import HistoryInput, as_input
from ._jsonl import INT64_MAX, INT64_MIN
from ._op import Op

_ETCD_PREFIX = "jepsen.util - "
_ETCD_TYPES = {":invoke": "invoke", ":ok": "ok", ":fail": "fail", ":info": "info"}
_ETCD_FS = {":read": "read", ":write": "write", ":cas": "cas"}
_KV_LINE = re.compile(
    r'^\{:process (-?\d+), :type :(invoke|ok|fail|info), :f :(get|put|append), '
    r':key "((?:[^"\\]|\\.)*)", :value (nil|"(?:[^"\\]|\\.)*")\}\s*$'
)


def _read_text(source: str | os.PathLike[str] | HistoryInput) -> tuple[str, str]:
    """The input's name and text (read once, within its bounds)."""
    with as_input(source) as src:
        text = src.text()
    if not text.strip():
        raise BadInput("empty history (no ops)", src.name)
    return src.name, text


def _int64(tok: str, where: str) -> int:
    v = int(tok)
    if not INT64_MIN <= v <= INT64_MAX:  # the checkers' arrays and JSON output stop there
        raise BadInput(f"integer out of the 64-bit range: {tok}", where)
    return v


def _etcd_value(tok: str, where: str) -> Any:
    if tok == "nil":
        return None
    if tok == ":timed-out":
        return tok
    if tok.startswith("[") and tok.endswith("]"):
        return [_etcd_value(t, where) for t in tok[1:-1].split()]
    try:
        return _int64(tok, where)
    except ValueError:
        raise BadInput(f"unreadable value {tok!r}", where) from None


def read_porcupine_etcd(path: str | os.PathLike[str] | HistoryInput) -> History:
    """A Porcupine/Jepsen etcd log as a single-register history (read, write, cas)."""
    p, text = _read_text(path)
    ops: list[Op] = []
    open_args: dict[int, Any] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{p}:{lineno}"
        at = line.find(_ETCD_PREFIX)
        fields = line[at + len(_ETCD_PREFIX):].split(None, 3) if at >= 0 else []
        if len(fields) != 4:
            raise BadInput("not an etcd log line (expected 'jepsen.util - P TYPE F VALUE')",
                           where)
        proc_s, type_s, f_s, value_s = fields
        type_, f = _ETCD_TYPES.get(type_s), _ETCD_FS.get(f_s)
        if type_ is None or f is None or not proc_s.lstrip("-").isdigit():
            raise BadInput(f"unknown process, type or f in {line.strip()!r}", where)
        process = _int64(proc_s, where)
        value = _etcd_value(value_s.strip(), where)
        error = None
        if type_ == "invoke":
            open_args[process] = value
        elif value == ":timed-out":
            # Timed-out completions carry no arguments: take them from the invocation.
            error = "timed-out"
            value = open_args.get(process) if f != "read" else None
        elif type_ == "fail" and f == "cas":
            error = "precondition-failed"
        ops.append(Op(len(ops), lineno, type_, process, f, value, error))
    return _untimed(History(ops, source=str(p)))


def _untimed(h: History) -> History:
    h.timed = False  # the line numbers stand in for times
    return h


def _kv_string(tok: str) -> str | None:
    if tok == "nil":
        return None
    body = tok[1:-1]
    return re.sub(r"\\(.)", r"\1", body) if "\\" in body else body


def read_porcupine_kv(path: str | os.PathLike[str] | HistoryInput) -> History:
    """A Porcupine key/value log (get/put/append) with values as ``[key, value]`` tuples."""
    p, text = _read_text(path)
    ops: list[Op] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _KV_LINE.match(line)
        if m is None:
            raise BadInput("not a Porcupine kv line ({:process N, :type T, :f F, :key K, "
                           ":value V})", f"{p}:{lineno}")
        proc_s, type_, f, key, value_s = m.groups()
        key = _kv_string(f'"{key}"')
        ops.append(Op(len(ops), lineno, type_, _int64(proc_s, f"{p}:{lineno}"), f,
                      [key, _kv_string(value_s)]))
    return _untimed(History(ops, source=str(p)))


def detect_porcupine(head: bytes) -> str | None:
    """``porcupine-etcd`` or ``porcupine-kv`` from a file's first bytes, else None."""
    s = head.lstrip()
    if s.startswith(b"INFO") and b"jepsen.util - " in s.split(b"\n", 1)[0]:
        return "porcupine-etcd"
    first = s.split(b"\n", 1)[0].decode("utf-8", "replace")
    if first.startswith("{:process") and _KV_LINE.match(first):
        return "porcupine-kv"
    return None
