"""A tiny notation for transactional histories in tests, after Elle's: ``"ax1ry12"`` is one
transaction that appends 1 to key ``x`` and then reads key ``y`` as ``[1, 2]``.

Each micro-op is an op letter, a key letter, then digits:

- ``a`` append: the digits are one integer value (``ax12`` appends 12);
- ``r`` read: each digit is one element of the list read (``ry12`` reads ``[1, 2]``, ``ry``
  reads ``[]``); with ``register=True`` the digits are one integer (``rx`` reads ``None``);
- ``w`` write (registers): the digits are one integer.

Keys are the letters themselves (strings). :func:`txn_history` builds a History from such
strings, each optionally paired with its outcome: ``("fail", "ax3")``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from ._history import History
from ._op import Op

_MOP = re.compile(r"([arw])([A-Za-z])(\d*)")
TxnSpec = str | tuple[str, str]


def parse_txn(s: str, register: bool = False) -> list[list[Any]]:
    """The micro-ops ``[f, key, value]`` of one transaction string (as completed)."""
    out: list[list[Any]] = []
    pos = 0
    s = s.replace(" ", "")
    while pos < len(s):
        m = _MOP.match(s, pos)
        if m is None:
            raise ValueError(f"bad transaction notation at {s[pos:]!r} in {s!r}")
        f, k, digits = m.groups()
        if f == "r":
            if register:
                out.append(["r", k, int(digits) if digits else None])
            else:
                out.append(["r", k, [int(d) for d in digits]])
        else:
            if not digits:
                raise ValueError(f"{f}{k} needs a value in {s!r}")
            out.append(["append" if f == "a" else "w", k, int(digits)])
        pos = m.end()
    return out


def _unread(mops: list[list[Any]]) -> list[list[Any]]:
    return [[f, k, None] if f == "r" else [f, k, v] for f, k, v in mops]


def txn_history(txns: Iterable[TxnSpec], concurrent: bool = False, register: bool = False,
                processes: Sequence[Any] | None = None) -> History:
    """A history of ``txn`` ops, one process per transaction (or ``processes``).

    Sequential by default (each completes before the next is invoked); ``concurrent`` invokes all
    of them, then completes all in the same order, so no realtime order holds between them.
    """
    specs = [("ok", t) if isinstance(t, str) else (t[0], t[1]) for t in txns]
    procs = list(processes) if processes is not None else list(range(len(specs)))
    invokes: list[Op] = []
    completions: list[Op] = []
    for (kind, s), p in zip(specs, procs, strict=True):
        mops = parse_txn(s, register)
        invokes.append(Op(0, 0, "invoke", p, "txn", _unread(mops)))
        completions.append(Op(0, 0, kind, p, "txn", mops if kind == "ok" else _unread(mops)))
    if concurrent:
        ordered = [*invokes, *completions]
    else:
        ordered = [op for pair in zip(invokes, completions, strict=True) for op in pair]
    return History(op.with_(index=i, time=i * 1000) for i, op in enumerate(ordered))
