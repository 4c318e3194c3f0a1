"""Turning a failed (or unfinished) search into data and a readable explanation.

The failing window of a non-linearizable partition is found by the search itself: the first
return event (in real-time order) that no configuration gets past. Every op that returned
before it can be linearized (the *linearizable prefix*), but the op returning there cannot be
placed after any of those orders; the ops concurrent with it are the ones it could have been
reordered with. That op plus its concurrent ops is the smallest window the search proves bad.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from .._result import Anomaly
from .._values import show_value
from ._model import INFO_, LinOp, Model
from ._wgl import SearchResult

ANOMALY = "nonlinearizable"
_SHOW = 6  # concurrent ops / states named in the one-paragraph explanation
_KEEP = 8  # states kept in the data
_PREFIX_TAIL = 20  # ops of the prefix kept in the data


Origin = Callable[[int], tuple[int, int]]  # history index -> (file's index, line or 0)


def _same(i: int) -> tuple[int, int]:
    return i, 0


def _cite(i: int, origin: Origin) -> str:
    index, line = origin(i)
    return f"op {index}" + (f" (line {line})" if line else "")


def _describe_op(op: LinOp, model: Model, origin: Origin) -> str:
    index, line = origin(op.invoke)
    s = f"op {index} ({f'line {line}: ' if line else ''}process {op.process} {op.f}"
    if op.f in model.read_fs:
        s += f" -> {_v(op.output)}" if op.status == "ok" else ""
    else:
        s += f" {_v(op.value)}"
        s += f" -> {_v(op.output)}" if op.status == "ok" and op.output != op.value else ""
    if op.status != "ok":
        s += f", {op.status}" if op.complete >= 0 else ", never completed"
    return s + ")"


def _n(k: int, word: str) -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


def _v(v: Any) -> str:
    return show_value(v, 60)


def _concurrent(ops: Sequence[LinOp], bad: LinOp) -> list[LinOp]:
    """Ops whose intervals overlap ``bad``'s (crashed ops stay open forever)."""
    out = []
    for op in ops:
        if op is bad:
            continue
        open_ = op.status == INFO_ or op.complete < 0
        if op.invoke < bad.complete and (open_ or op.complete > bad.invoke):
            out.append(op)
    return out


def explain_failure(model: Model, key: Hashable, ops: Sequence[LinOp],
                    r: SearchResult, origin: Origin = _same) -> Anomaly:
    """A ``nonlinearizable`` anomaly for one partition's failed search; ``origin`` maps a
    history index to the user's file (its own ``:index`` and line), which the text cites."""
    bad = ops[r.fail_op]
    conc = _concurrent(ops, bad)
    prefix = [ops[i].invoke for i in r.prefix]
    conc_ids = {o.invoke for o in conc}
    states: list[dict[str, Any]] = [
        {"state": model.describe(st),
         "linearized_concurrent": sorted(ops[i].invoke for i in lin if ops[i].invoke in conc_ids)}
        for st, lin in r.states[:_KEEP]]
    more = len(r.states) > _KEEP
    start = min([bad.invoke, *(o.invoke for o in conc)])
    where = "" if key is None else f"key {_v(key)}: "
    shown = [s["state"] for s in states[:_SHOW]]
    if more or len(states) > _SHOW:
        state_text = f"one of many states, such as {', '.join(shown)}"
    elif len(shown) > 1:
        state_text = ", ".join(shown[:-1]) + " or " + shown[-1]
    else:
        state_text = shown[0] if shown else "(not collected: a budget ran out)"
    conc_text = ", ".join(_describe_op(o, model, origin) for o in conc[:_SHOW])
    if len(conc) > _SHOW:
        conc_text += f" and {len(conc) - _SHOW} more"
    last = f", ending with {_cite(prefix[-1], origin)}" if prefix else ""
    explanation = (
        f"{where}{_describe_op(bad, model, origin)}, completed at {_cite(bad.complete, origin)},"
        " cannot be "
        f"linearized. The ops that completed before it can be ({_n(len(prefix), 'op')} "
        f"linearized{last}), and after them the {model.name} could only be {state_text}; "
        f"the op is illegal there in any order of the {_n(len(conc), 'op')} concurrent with it"
        f"{': ' + conc_text if conc_text else ''}."
    )
    data: dict[str, Any] = {
        "key": key,
        "model": model.name,
        "op": {"invoke": bad.invoke, "complete": bad.complete, "process": bad.process,
               "f": bad.f, "value": bad.value, "output": bad.output, "status": bad.status},
        # The same two ops as the file names them: its own index, and the line (0: unknown).
        "file": {"invoke": list(origin(bad.invoke)), "complete": list(origin(bad.complete))},
        "window": [start, bad.complete],
        "concurrent": [o.invoke for o in conc],
        "prefix_length": len(prefix),
        "prefix_tail": prefix[-_PREFIX_TAIL:],
        "states": states,
        "more_states": more,
        "configurations": r.configurations,
    }
    indices = (bad.invoke, bad.complete, *(o.invoke for o in conc))
    return Anomaly(ANOMALY, indices, explanation, data)


def explain_unknown(key: Hashable, ops: Sequence[LinOp], r: SearchResult) -> dict[str, Any]:
    """What an unfinished search learned: the longest partial linearization it found."""
    longest = [ops[i].invoke for i in r.longest]
    return {
        "key": key,
        "reason": r.reason,
        "ops": len(ops),
        "configurations": r.configurations,
        "longest_partial_linearization": longest,
        "longest_length": len(longest),
    }
