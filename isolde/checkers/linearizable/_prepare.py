"""From a History to the per-partition op lists the search works on, and choosing a model."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..._errors import BadInput, UsageError
from ...histories import FAIL, INFO, OK, History
from ._model import FAIL_, INFO_, OK_, LinOp, Model, ModelOptions, hashable
from ._models import KV, MODELS, MultiRegister

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
_COMPOUND = frozenset({list, dict})  # the values hashable() changes; it returns others as they are


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
    # Bound once: this loop runs per op, and on large histories it is much of the check.
    pairs, include, partition = history.pair_indices, model.include, model.partition
    check_op, read_fs, model_fs = model.check_op, model.read_fs, model.fs
    # The built-in models of [key, value] tuples: an op is split as it is made (one LinOp,
    # not two), and checked only when check_op could object (it then raises as it would).
    split = type(model) in (MultiRegister, KV)
    new = tuple.__new__
    for i in history.invocations():
        j = pairs[i]
        status = _STATUS[types[j]] if j >= 0 else INFO_
        if status == FAIL_ and history.error(j) not in evidence:
            continue
        v, f = values[i], fs[i]
        try:
            if split and type(v) is list and len(v) == 2 and f in model_fs:
                # (hashable and _split_output inlined for scalars: 3 calls per op were a
                # third of this loop.)
                key, x, out = v[0], v[1], values[j]
                if status == OK_ and type(out) is list and len(out) == 2:
                    out = out[1]
                    if type(out) in _COMPOUND:
                        out = hashable(out)
                else:
                    out = _split_output(out, status)
                if type(x) in _COMPOUND:
                    x = hashable(x)
                op = new(LinOp, (f, x, out, status, i, j, procs[i]))
                if status != OK_ and not include(op):  # (these models include every ok op)
                    continue
                if type(key) in _COMPOUND:
                    key = hashable(key)
                if f == "cas" and not (type(op.value) is tuple and len(op.value) == 2):
                    check_op(op, "")
            else:
                output = hashable(values[j]) if status == OK_ else None
                op = LinOp(f, hashable(v), output, status, i, j, procs[i])
                if not include(op):
                    continue
                key, op = partition(op)
                check_op(op, "")
            if nil_free and op.status == OK_ and op.output is None and op.f in read_fs:
                continue  # Knossos: a read of nil constrains nothing
        except BadInput as e:  # named as the file names the op (built only when needed)
            raise BadInput(e.message, history.where(i)) from None
        parts.setdefault(key, []).append(op)
    return list(parts.items())


def _split_output(out: Any, status: str) -> Any:
    """A completion's value as :func:`split_key` leaves it: the value of ``[key, value]``."""
    if status != OK_:
        return None
    if type(out) is list and len(out) == 2:
        return hashable(out[1])
    out = hashable(out)
    return out[1] if isinstance(out, tuple) and len(out) == 2 else out
