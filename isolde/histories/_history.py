"""History: a compact, column-stored sequence of ops with invoke/completion pairing.

Ops are stored in columns (times in an ``array``, type codes in a ``bytearray``, the rest in
lists with interned strings) so a history of millions of ops stays small; :class:`Op` objects are
built only when asked for. Position ``i`` always holds the op whose ``index`` is ``i``.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from .._errors import BadInput
from ._op import EMPTY, NEMESIS, OP_TYPES, Op, Process

INVOKE, OK, FAIL, INFO = 0, 1, 2, 3
TYPE_CODE = {name: code for code, name in enumerate(OP_TYPES)}


class History(Sequence[Op]):
    """Ordered ops; ``pair(i)`` is the index of the matching invoke/completion or -1.

    Pairing follows Jepsen: a process runs one op at a time, so an invocation is completed by the
    next completion of the same process. A completion with no open invocation is bad input; an
    invocation never completed is paired with -1 (treat it like ``info``).
    """

    __slots__ = ("__weakref__", "_errors", "_extras", "_file_index", "_lines", "_pairs", "fs",
                 "processes", "source", "times", "types", "values")

    def __init__(self, ops: Iterable[Op] = (), *, source: str = "<history>") -> None:
        self.source = source  # where the ops came from (a file's path), for error messages
        self.times = array("q")
        self.types = bytearray()
        self.processes: list[Process] = []
        self.fs: list[str] = []
        self.values: list[Any] = []
        self._errors: dict[int, Any] = {}
        self._extras: dict[int, Any] = {}
        self._pairs = array("q")
        self._file_index: array[int] | None = None
        self._lines: array[int] | None = None
        open_: dict[Process, int] = {}
        intern: dict[str, str] = {}
        for i, op in enumerate(ops):
            code = TYPE_CODE.get(op.type)
            if code is None:
                raise BadInput(f"unknown op type {op.type!r}", f"{source}#{i}")
            self.times.append(op.time)
            self.types.append(code)
            self.processes.append(op.process)
            f = op.f
            self.fs.append(intern.setdefault(f, sys.intern(f) if isinstance(f, str) else f))
            self.values.append(op.value)
            if op.error is not None:
                self._errors[i] = op.error
            if op.extra:
                self._extras[i] = op.extra
            self._pairs.append(-1)
            if op.index != i and op.index >= 0:
                self._own_index(i)[i] = op.index
            if code == INVOKE:
                prev = open_.get(op.process)
                if prev is not None and op.process != NEMESIS:
                    raise BadInput(
                        f"process {op.process!r} invoked op {i} while op {prev} was still open",
                        f"{source}#{i}",
                    )
                open_[op.process] = i
            else:
                start = open_.pop(op.process, None)
                if start is None:
                    if op.process == NEMESIS:
                        continue  # nemesis events may be recorded as bare completions
                    raise BadInput(
                        f"{op.type} completion for process {op.process!r} without an invocation",
                        f"{source}#{i}",
                    )
                self._pairs[start] = i
                self._pairs[i] = start

    # --- sequence protocol -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.times)

    @overload
    def __getitem__(self, i: int) -> Op: ...
    @overload
    def __getitem__(self, i: slice) -> list[Op]: ...
    def __getitem__(self, i: int | slice) -> Op | list[Op]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return Op(
            i,
            self.times[i],
            OP_TYPES[self.types[i]],
            self.processes[i],
            self.fs[i],
            self.values[i],
            self._errors.get(i),
            self._extras.get(i, EMPTY),
        )

    def __iter__(self) -> Iterator[Op]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"<History {len(self)} ops>"

    # --- where ops came from --------------------------------------------------------------
    # An op's ``index`` as given (a file's own ``:index``) is kept when it is not its position,
    # so that reports cite what the user sees in the file.
    def _own_index(self, upto: int) -> array[int]:
        fi = self._file_index
        if fi is None:
            fi = self._file_index = array("q", range(upto + 1))
        while len(fi) <= upto:
            fi.append(len(fi))
        return fi

    def set_lines(self, lines: Sequence[int]) -> None:
        """Record each op's line in the file it was read from (0: unknown)."""
        if any(lines):
            self._lines = array("q", lines)

    def file_index(self, i: int) -> int:
        """Op ``i``'s ``index`` in its file (its position when the file gave none)."""
        fi = self._file_index
        return fi[i] if fi is not None and i < len(fi) else i

    def origin(self, i: int) -> tuple[int, int]:
        """(the file's index of op ``i``, its line in the file or 0 when unknown)."""
        return self.file_index(i), self._lines[i] if self._lines is not None else 0

    def cite(self, i: int) -> str:
        """``op N`` with N the file's own index of op ``i``, and its line when known."""
        index, line = self.origin(i)
        return f"op {index}" + (f" (line {line})" if line > 0 else "")

    def where(self, i: int) -> str:
        """Op ``i`` for an error message: the file, then :meth:`cite`."""
        return f"{self.source}: {self.cite(i)}"

    # --- pairing and views -------------------------------------------------------------------
    def pair(self, i: int) -> int:
        """Index of the op paired with op ``i`` (its completion or invocation), or -1."""
        return self._pairs[i]

    def completion(self, i: int) -> Op | None:
        j = self._pairs[i]
        return self[j] if j >= 0 else None

    def extra(self, i: int) -> Any:
        return self._extras.get(i, EMPTY)

    def error(self, i: int) -> Any:
        return self._errors.get(i)

    def invocations(self) -> Iterator[int]:
        """Indices of client invocations, in order."""
        types, procs = self.types, self.processes
        for i in range(len(self)):
            if types[i] == INVOKE and procs[i] != NEMESIS:
                yield i

    def pairs(self) -> Iterator[tuple[Op, Op | None]]:
        """(invocation, completion or None) for each client invocation, in invocation order."""
        for i in self.invocations():
            yield self[i], self.completion(i)

    def client_ops(self) -> History:
        """A new history without nemesis ops (indices renumbered)."""
        return History(
            (op for op in self if op.process != NEMESIS), source="client ops"
        )

    def nemesis_ops(self) -> list[Op]:
        return [self[i] for i, p in enumerate(self.processes) if p == NEMESIS]

    def by_process(self) -> dict[Process, list[int]]:
        """Op indices per process (invocations and completions), in order."""
        out: dict[Process, list[int]] = {}
        for i, p in enumerate(self.processes):
            out.setdefault(p, []).append(i)
        return out

    def by_key(self) -> dict[Any, list[int]]:
        """Client op indices per key, for values written as Jepsen independent tuples ``[k, v]``.

        A completion is filed under its invocation's key (a completion value may be absent).
        Ops whose value is not a 2-element list are skipped.
        """
        out: dict[Any, list[int]] = {}
        values, pairs = self.values, self._pairs
        for i in range(len(self)):
            if self.processes[i] == NEMESIS:
                continue
            j = i if self.types[i] == INVOKE else pairs[i]
            v = values[j] if j >= 0 else values[i]
            if isinstance(v, (list, tuple)) and len(v) == 2:
                k = v[0]
                out.setdefault(hashable(k), []).append(i)
        return out

    def subhistory(self, indices: Iterable[int], unwrap_key: bool = False) -> History:
        """A new history of the given ops (renumbered), with ``source_index`` kept in extra.

        With ``unwrap_key`` values ``[k, v]`` become ``v`` (the per-key view of a multi-key
        register history).
        """
        ops = []
        for new, i in enumerate(indices):
            op = self[i]
            v = op.value
            if unwrap_key and isinstance(v, (list, tuple)) and len(v) == 2:
                v = v[1]
            ops.append(
                Op(new, op.time, op.type, op.process, op.f, v, op.error,
                   {**op.extra, "source_index": i})
            )
        return History(ops, source="subhistory")


def cite_position(i: int) -> str:
    """``op i``: how to name history index ``i`` when no file says otherwise (a default for
    the views that carry a History's ``cite``)."""
    return f"op {i}"


def hashable(k: Any) -> Any:
    """JSON values made hashable: lists as tuples, dicts as sorted item tuples (recursively)."""
    if isinstance(k, list):
        return tuple(hashable(x) for x in k)
    if isinstance(k, dict):
        items = [(a, hashable(b)) for a, b in k.items()]
        try:
            return tuple(sorted(items))
        except TypeError:  # keys of mixed types ({1 3, nil 4} in EDN): any fixed order will do
            return tuple(sorted(items, key=lambda kv: (type(kv[0]).__name__, repr(kv[0]))))
    return k
