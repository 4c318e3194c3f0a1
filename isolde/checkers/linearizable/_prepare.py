"""From a History to the per-partition op lists the search works on, and choosing a model."""

from __future__ import annotations

from collections.abc import Hashable

from ..._errors import UsageError
from ...histories import FAIL, INFO, OK, History
from ._model import FAIL_, INFO_, OK_, LinOp, Model, hashable
from ._models import MODELS

_STATUS = {OK: OK_, FAIL: FAIL_, INFO: INFO_}
# A failed op is evidence about the state only when it failed on it (a CAS whose precondition
# did not hold); an op refused for any other reason (no connection, throttled) never saw it.
EVIDENCE_ERRORS = (None, "precondition-failed")
_KV_FS = frozenset({"get", "put", "append"})


def make_model(name: str) -> Model:
    cls = MODELS.get(name)
    if cls is None:
        raise UsageError(f"unknown model {name!r} (known: {', '.join(sorted(MODELS))})")
    return cls()


def choose_model(history: History) -> str:
    """The model a history's content calls for: kv for get/put/append, multi-register when
    reads or writes carry ``[key, value]`` tuples, else cas-register (a plain register's
    histories are cas-register histories without cas)."""
    fs = history.fs
    values = history.values
    seen: set[str] = set()
    for i in history.invocations():
        f = fs[i]
        seen.add(f)
        if f in ("read", "write"):
            v = values[i]
            if isinstance(v, (list, tuple)) and len(v) == 2:
                return "multi-register"
    if seen & _KV_FS:
        return "kv"
    return "cas-register"


def prepare(history: History, model: Model) -> list[tuple[Hashable, list[LinOp]]]:
    """Ops that constrain the history, split into the model's partitions (nemesis ops skipped).

    Open invocations become ``info`` ops; ops the model does not need (failed ops other than
    its evidence, crashed reads) are dropped. Partitions come in order of their first op.
    """
    types, fs, values, procs = history.types, history.fs, history.values, history.processes
    parts: dict[Hashable, list[LinOp]] = {}
    for i in history.invocations():
        j = history.pair(i)
        status = _STATUS[types[j]] if j >= 0 else INFO_
        if status == FAIL_ and history.error(j) not in EVIDENCE_ERRORS:
            continue  # failed before reaching the store (refused, throttled): no evidence
        output = hashable(values[j]) if status == OK_ else None
        op = LinOp(fs[i], hashable(values[i]), output, status, i, j, procs[i])
        if not model.include(op):
            continue
        key, op = model.partition(op)
        model.check_op(op, f"op {i}")
        parts.setdefault(key, []).append(op)
    return list(parts.items())
