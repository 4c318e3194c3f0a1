"""JSON Lines histories: the canonical on-disk form, streamed as a run goes."""

from __future__ import annotations

import logging
import os
from array import array
from collections.abc import Iterator, Sequence
from itertools import compress, islice, repeat
from operator import add, gt, itemgetter, le
from pathlib import Path
from typing import IO, Any

import orjson

from .._errors import BadInput
from ._history import TYPE_CODE, History, HistoryBuilder
from ._input import HistoryInput, as_input
from ._op import EMPTY, OP_TYPES, Op
from ._sanity import OpWatch

log = logging.getLogger("isolde.histories")

STANDARD_FIELDS = ("index", "time", "type", "process", "f", "value", "error")
_STANDARD = frozenset(STANDARD_FIELDS)


INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
# Jepsen values are a few levels deep (a transaction's micro-op holding a list); anything far
# deeper is hostile input that would exhaust the checkers' recursion.
MAX_DEPTH = 100


def op_from_dict(d: Any, where: str, position: int, *, check_values: bool = True) -> Op:
    """Validate one decoded op map; raise BadInput naming ``where`` on any wrong field.

    ``check_values=False`` skips the walk of the values for depth and integer range (for a
    caller that knows from the raw line that it cannot fail)."""
    if not isinstance(d, dict):
        raise BadInput(f"expected an op object, got {type(d).__name__}", where)
    t = d.get("type")
    if not isinstance(t, str):
        raise BadInput(f"field 'type' must be a string, got {t!r}", where)
    if t not in OP_TYPES:
        raise BadInput(f"unknown op type {t!r} (expected one of {', '.join(OP_TYPES)})", where)
    if "process" not in d:
        raise BadInput("missing field 'process' (a JSONL op names the process that ran it: that "
                       "pairs each completion with its invocation)", where)
    p = d["process"]
    if isinstance(p, bool) or not isinstance(p, (int, str)):
        raise BadInput(f"field 'process' must be an integer or string, got {p!r}", where)
    f = d.get("f")
    if not isinstance(f, str):
        raise BadInput(f"field 'f' must be a string, got {f!r}", where)
    time = d.get("time", position)
    if type(time) is not int or not INT64_MIN <= time <= INT64_MAX:  # the rare case, in full
        time = _int_field(d, "time", position, where, "an integer (ns)")
    index = d.get("index", position)  # validated; the position is the op's index
    if type(index) is not int or not INT64_MIN <= index <= INT64_MAX:
        _int_field(d, "index", position, where, "an integer")
    if check_values:
        _check_values(d, where)
    extra = {k: v for k, v in d.items() if k not in STANDARD_FIELDS}
    # The file's own index, which History keeps for reports when it is not the position.
    return Op(index, time, t, p, f, d.get("value"), d.get("error"), extra or EMPTY)


def _int_field(d: dict[str, Any], name: str, default: int, where: str, what: str) -> int:
    v = d.get(name, default)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise BadInput(f"field {name!r} must be {what}, got {v!r}", where)
    if not INT64_MIN <= v <= INT64_MAX:
        raise BadInput(f"field {name!r} is out of the 64-bit range: {v}", where)
    return v


def _check_values(d: dict[str, Any], where: str) -> None:
    """Refuse values nested deeper than MAX_DEPTH or holding integers beyond 64 bits (JSON
    output and the checkers' recursion cannot take them)."""
    stack: list[tuple[Any, int]] = [(d, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadInput(f"value nested more than {MAX_DEPTH} levels deep", where)
        items = v.values() if isinstance(v, dict) else v
        for x in items:
            if isinstance(x, (list, dict)):
                stack.append((x, depth + 1))
            elif isinstance(x, int) and not INT64_MIN <= x <= INT64_MAX:
                raise BadInput(f"integer out of the 64-bit range: {x}", where)
        if isinstance(v, dict):
            stack.extend((k, depth + 1) for k in v if isinstance(k, (list, tuple)))


def read_jsonl(source: str | os.PathLike[str] | HistoryInput) -> History:
    """A JSONL history, validated. A torn last line (a killed writer: no final newline, cut
    mid-value) is dropped with a warning; a bad line anywhere else is an error naming
    ``file:line``. A complete last line without a final newline is an op like any other.

    Each block of lines is decoded and checked column by column in C-speed passes
    (:func:`_plain_block`); a block with anything unusual in it (a bad line, a missing time, an
    index that is not the position, a line that may nest too deep...) is read line by line
    instead, with every check and warning of :func:`op_from_dict` and :class:`OpWatch`."""
    with as_input(source) as src:
        b = HistoryBuilder(src.name)
        lines = array("q")  # each op's line, for warnings after pairing
        watch = OpWatch()
        for lineno, block, terminated in src.blocks():
            if _plain_block(block, b, watch):
                lines.extend(range(lineno, lineno + len(block)))
            else:
                _line_by_line(src.name, lineno, block, terminated, b, lines, watch)
        if not len(b):
            raise BadInput("empty history (no ops)", src.name)
        h = b.build()
        watch.paired(h, lambda i: f"{src.name}:{lines[i]}")
        return h


def _line_by_line(name: str, lineno: int, block: list[bytes], terminated: bool,
                  b: HistoryBuilder, lines: array[int], watch: OpWatch) -> None:
    last = lineno + len(block) - 1
    for n, raw in enumerate(block, lineno):
        if not raw.strip():
            continue
        where = f"{name}:{n}"
        try:
            d = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            if n == last and not terminated and str(e).startswith("unexpected end of data"):
                log.warning("%s: last line is incomplete (torn write?); ignoring it", where)
                return
            raise BadInput(_json_error(raw, str(e)), where) from None
        op = op_from_dict(d, where, len(b), check_values=_suspect(raw))
        watch.see(d, op, where)
        b.add(op)
        lines.append(n)


_TYPE, _PROCESS, _F = itemgetter("type"), itemgetter("process"), itemgetter("f")


def _plain_block(block: list[bytes], b: HistoryBuilder, watch: OpWatch) -> bool:
    """Add a block of plain ops to ``b`` in passes over whole columns; False (nothing added)
    when some line needs :func:`_line_by_line`. Plain: every line a JSON object with a known
    type, an integer or string process, a string f and an integer time, times not decreasing,
    indices absent or equal to the positions, and no line that may nest too deep."""
    if _may_nest_too_deep(block):
        return False
    try:
        ds = list(map(orjson.loads, block))
        if set(map(type, ds)) != {dict}:
            return False
        types = bytes(map(TYPE_CODE.__getitem__, map(_TYPE, ds)))
        procs, fs = list(map(_PROCESS, ds)), list(map(_F, ds))
        given: list[Any] = list(map(dict.get, ds, repeat("time")))
        times: array[int] | None = array("q", given) if set(map(type, given)) == {int} else None
    except (orjson.JSONDecodeError, KeyError, TypeError, OverflowError):
        return False  # KeyError: a field is missing; TypeError: a type is a list; Overflow: time
    if times is None or not (set(map(type, procs)) <= {int, str} and set(map(type, fs)) == {str}
                             and _plain_order(ds, len(b), times, watch)):
        return False
    position = len(b)
    b.extend(times, types, procs, fs, list(map(dict.get, ds, repeat("value"))))
    standard = _STANDARD
    for k in _with_more_fields(ds):
        d = ds[k]
        if d.get("error") is not None:
            b.errors[position + k] = d["error"]
        extra = {f: v for f, v in d.items() if f not in standard}
        if extra:
            b.extras[position + k] = b.shared(extra)
    return True


def _may_nest_too_deep(block: list[bytes]) -> bool:
    """Whether some line of the block might nest deeper than MAX_DEPTH (a bound in C: the
    most brackets plus the most braces any line has)."""
    return (max(map(bytes.count, block, repeat(b"["))) +
            max(map(bytes.count, block, repeat(b"{")))) > MAX_DEPTH


def _plain_order(ds: list[dict[str, Any]], position: int, times: array[int],
                 watch: OpWatch) -> bool:
    """Indices absent or the positions, times from the last op's on and never decreasing:
    nothing OpWatch would warn about (it is told where the block ended)."""
    index = list(map(dict.get, ds, repeat("index")))
    if index[0] is None:
        if index.count(None) != len(index):
            return False
    elif index != list(range(position, position + len(ds))) or index[0] <= watch.last_index:
        return False
    if times[0] < watch.last_time or not all(map(le, times, islice(times, 1, None))):
        return False
    watch.sync(index[-1], times[-1])
    return True


def _with_more_fields(ds: list[dict[str, Any]]) -> Iterator[int]:
    """Positions of the ops with a field beyond type, process, f, time, index and value (an
    error, or extra fields), found in C: a plain block's ops all have the first four, and all
    or none have an index."""
    base = 5 if "index" in ds[0] else 4
    standard = map(add, map(dict.__contains__, ds, repeat("value")), repeat(base))
    return compress(range(len(ds)), map(gt, map(len, ds), standard))


def _suspect(raw: bytes) -> bool:
    """Whether a JSON line might nest too deep (C-speed counts, so the walk of the values is
    paid only by the rare line that needs it). orjson reads no integer beyond 64 bits (it makes
    a float of one, and every consumer takes unsigned 64-bit values), so only EDN's bignums
    need the walk for range."""
    return len(raw) > 2 * MAX_DEPTH and raw.count(b"[") + raw.count(b"{") > MAX_DEPTH


def _json_error(raw: bytes, reason: str) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not a text history (binary data)"
    if reason.startswith(("depth limit", "no low surrogate", "lone")):
        return f"not valid JSON ({reason.split(':')[0]})"
    return "not valid JSON (truncated or corrupt line)"


class HistoryWriter:
    """Appends ops to a JSONL file, handing each call's lines to the OS at once (unbuffered) so
    a killed run keeps them."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fh: IO[bytes] = open(self.path, "ab", buffering=0)  # noqa: SIM115
        self.count = 0

    def write(self, op: Op) -> None:
        self.write_many((op,))

    def write_many(self, ops: Sequence[Op]) -> None:
        """The ops' lines in one write (a batch the harness collected in one event-loop tick)."""
        data = memoryview(b"".join([orjson.dumps(op.to_dict(), option=_OPTS) + b"\n"
                                    for op in ops]))
        while data:  # an unbuffered write may take part of the data (a signal, a full disk)
            data = data[self._fh.write(data):]
        self.count += len(ops)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> HistoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_OPTS = orjson.OPT_NON_STR_KEYS


def write_jsonl(history: History | list[Op], path: str | os.PathLike[str]) -> None:
    with open(path, "wb") as fh:
        for op in history:
            fh.write(orjson.dumps(op.to_dict(), option=_OPTS) + b"\n")
