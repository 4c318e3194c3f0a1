"""From a History to the per-partition op lists the search works on, and choosing a model."""

from __future__ import annotations

from collections.abc import Hashable

from ..._errors import BadInput, UsageError
from ...histories import FAIL, INFO, OK, History
from ._model import FAIL_, INFO_, OK_, LinOp, Model, ModelOptions, hashable
from ._models import MODELS

_STATUS = {OK: OK_, FAIL: FAIL_, INFO: INFO_}
# When a failed op is evidence about the state (``--failed-cas``). A CAS can fail for reasons
# other than its compare (a write-concern error, a leader change, a refused connection), so by
# default only an op that says its precondition failed is evidence: isolde's stores and
# Porcupine's etcd logs say so. ``evidence`` also reads a failure that gives no reason as one
# (Porcupine's reading); ``ignore`` drops every failed op (Knossos's).
FAILED_CAS = {
    "auto": ("precondition-failed",),
    "evidence": (None, "precondition-failed"),
    "ignore": (),
}
_KV_FS = frozenset({"get", "put", "append"})


def make_model(name: str, options: ModelOptions | None = None) -> Model:
    cls = MODELS.get(name)
    if cls is None:
        raise UsageError(f"unknown model {name!r} (known: {', '.join(sorted(MODELS))})")
    return cls(options)


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


def prepare(history: History, model: Model,
            failed_cas: str = "auto") -> list[tuple[Hashable, list[LinOp]]]:
    """Ops that constrain the history, split into the model's partitions (nemesis ops skipped).

    Open invocations become ``info`` ops; ops the model does not need (failed ops that are no
    evidence, crashed reads, nil reads under Knossos's convention) are dropped. Partitions come
    in order of their first op.
    """
    types, fs, values, procs = history.types, history.fs, history.values, history.processes
    evidence = FAILED_CAS[failed_cas]
    nil_free = model.options.nil_reads == "unconstrained"
    parts: dict[Hashable, list[LinOp]] = {}
    # Bound once: this loop runs per op, and on small histories it is most of the check.
    pair, include, partition = history.pair, model.include, model.partition
    check_op = model.check_op
    for i in history.invocations():
        j = pair(i)
        status = _STATUS[types[j]] if j >= 0 else INFO_
        if status == FAIL_ and history.error(j) not in evidence:
            continue
        output = hashable(values[j]) if status == OK_ else None
        op = LinOp(fs[i], hashable(values[i]), output, status, i, j, procs[i])
        try:
            if not include(op):
                continue
            key, op = partition(op)
            if nil_free and op.status == OK_ and op.output is None and op.f in model.read_fs:
                continue  # Knossos: a read of nil constrains nothing
            check_op(op, "")
        except BadInput as e:  # named as the file names the op (built only when needed)
            raise BadInput(e.message, history.where(i)) from None
        parts.setdefault(key, []).append(op)
    return list(parts.items())
