"""EDN for Jepsen histories (``history.edn``): reading all of EDN that such files use, and
writing histories back out for Jepsen's tools.

Reading: keywords become plain strings (``:ok`` -> ``"ok"``, so ``{:x 0}`` and ``{"x" 0}`` are
the same map), vectors and lists become lists, sets become sorted lists when sortable, maps with
keyword keys become dicts with string keys. ``;`` comments, ``#_`` discards and commas are
whitespace; tagged literals (``#inst``, ``#jepsen.history.Op``...) keep their value and drop the
tag. A history is one vector (or list) of op maps, or op maps one after another (one a line, or
spread over lines, with comments between).
"""

from __future__ import annotations

import bisect
import logging
import math
import os
import re
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .._errors import BadInput
from ._history import History, HistoryBuilder
from ._input import HistoryInput, as_input
from ._jsonl import MAX_DEPTH, op_from_dict
from ._op import NEMESIS, Op
from ._sanity import OpWatch

log = logging.getLogger("isolde.histories")

# One token, after any whitespace, commas and comments; the groups are numbered for speed.
_TOKEN = re.compile(
    r"""
    (?:[\s,]++|;[^\n]*+)*+     # possessive: a comment is never given back to a token
    (?:
      ([^\s,\[\](){}"\#\\;][^\s,\[\](){}"]*)   # 1 atom: nil, 12, :kw, symbol...
    | (\#\{|[\[({])                               # 2 open
    | ([\])}])                                     # 3 close
    | ("(?:[^"\\]|\\.)*")                         # 4 string
    | (\#_)                                        # 5 discard
    | (\#\#(?:Inf|-Inf|NaN))                       # 6 symbolic value
    | (\#[A-Za-z:][^\s,\[\](){}"]*)                 # 7 tag
    | (\\(?:newline|space|tab|return|u[0-9a-fA-F]{4}|.))  # 8 character
    )
    """,
    re.VERBOSE | re.DOTALL,
)
_ATOM, _OPEN, _CLOSE, _STR, _DISCARD, _SYMBOLIC_VALUE, _TAG, _CHAR = range(1, 9)
_BLANK = re.compile(r"(?:[\s,]+|;[^\n]*)*")
_INT = re.compile(r"[+-]?\d+N?$")
_FLOAT = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$")
_RATIO = re.compile(r"[+-]?\d+/\d+$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "b": "\b", "f": "\f"}
_CHARS = {"newline": "\n", "space": " ", "tab": "\t", "return": "\r"}
_SYMBOLIC = {"##Inf": math.inf, "##-Inf": -math.inf, "##NaN": math.nan}
_CLOSER = {"[": "]", "(": ")", "{": "}", "#{": "}"}


class EdnError(ValueError):
    """Unreadable EDN at character ``offset`` of the text."""

    def __init__(self, message: str, offset: int, top: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset
        self.top = offset if top is None else top  # where the top-level value being read began


class EdnLimit(EdnError):
    """Well-formed text isolde refuses (too deep, a lone surrogate): never a torn line."""


_WORDS = {"nil": None, "true": True, "false": False}  # both ways: reading and writing
_WORD_OF = {v: k for k, v in _WORDS.items()}  # looked up with None, True or False only


def _atom(tok: str) -> Any:
    c = tok[0]
    if c == ":":
        return tok[1:]
    if c.isdigit() or (c in "+-" and len(tok) > 1 and tok[1].isdigit()):
        if tok.isdigit():
            return int(tok)
        if _INT.match(tok):
            return int(tok.rstrip("N"))
        if _FLOAT.match(tok):
            return float(tok.rstrip("M"))
        if _RATIO.match(tok):
            num, den = tok.split("/")
            return int(num) / int(den)
    return _WORDS.get(tok, tok)  # nil, true, false; a symbol keeps its name


def _unescape(s: str, at: int) -> str:
    body = s[1:-1]
    if "\\" not in body:
        return body
    out = re.sub(r"\\(u[0-9a-fA-F]{4}|.)", lambda m: (
        chr(int(m.group(1)[1:], 16)) if m.group(1).startswith("u") and len(m.group(1)) == 5
        else _ESCAPES.get(m.group(1), m.group(1))), body)
    try:  # \u escapes may spell a surrogate pair: join it; a lone one is no character at all
        return out.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise EdnLimit(f"string with a lone surrogate: {s[:40]!r}", at) from None


def _freeze(x: Any) -> Any:
    if isinstance(x, list):
        return tuple(_freeze(y) for y in x)
    if isinstance(x, dict):
        return tuple(sorted((repr(k), _freeze(v)) for k, v in x.items()))
    return x


def _collection(opener: str, items: list[Any], offset: int) -> Any:
    if opener == "{":
        if len(items) % 2:
            raise EdnError("map with an odd number of forms", offset)
        return {_freeze(k) if isinstance(k, (list, dict)) else k: v
                for k, v in zip(items[::2], items[1::2], strict=True)}
    if opener == "#{":
        try:
            return sorted(items)
        except TypeError:
            return items
    return items


class _Frame:
    __slots__ = ("children", "items", "opener", "start")

    def __init__(self, opener: str, start: int) -> None:
        self.opener, self.start = opener, start
        self.items: list[Any] = []
        self.children: list[int] = []  # start offsets of the items (kept for the outermost)


# Yielded by ``parse_located(spread=True)`` in place of a top-level collection whose items
# were yielded one by one.
SPREAD: Any = object()


def parse_located(text: str, spread: bool = False) -> Iterator[tuple[Any, int, list[int]]]:
    """Top-level values of ``text``: (value, start offset, start offsets of its items when it
    is a collection). Raises :class:`EdnError` on unreadable text.

    ``spread``: the items of a top-level vector, list or set are yielded one by one as each
    is read (children not kept), then :data:`SPREAD` where the collection would be — so a
    history of one vector of op maps is never held whole."""
    stack: list[_Frame] = []
    discard: list[int] = []  # stack depths at which the next complete value is discarded
    pos, n = 0, len(text)
    match = _TOKEN.match
    while True:
        m = match(text, pos)
        if m is None:
            pos = _BLANK.match(text, pos).end()  # type: ignore[union-attr]  # always matches
            if pos == n:
                break
            raise EdnError(f"unexpected character {text[pos]!r}", pos,
                           stack[0].start if stack else pos)
        kind = m.lastindex or 0  # a match always sets one of the token groups
        start, pos = m.start(kind), m.end()
        value: Any
        children: list[int] = []
        if kind == _ATOM:
            value = _atom(m.group(kind))
        elif kind == _OPEN:
            if len(stack) >= MAX_DEPTH:  # the checkers recurse on values: refuse hostile depth
                raise EdnLimit(f"value nested more than {MAX_DEPTH} levels deep", start)
            stack.append(_Frame(m.group(kind), start))
            continue
        elif kind == _CLOSE:
            value, start, children = _close(stack, m.group(kind), start)
        elif kind == _STR:
            value = _unescape(m.group(kind), start)
        elif kind == _TAG:
            continue  # a tag applies to the next value, which is kept as it is
        elif kind == _DISCARD:
            discard.append(len(stack))
            continue
        elif kind == _SYMBOLIC_VALUE:
            value = _SYMBOLIC[m.group(kind)]
        else:
            c = m.group(kind)[1:]
            value = chr(int(c[1:], 16)) if len(c) == 5 and c[0] == "u" else _CHARS.get(c, c)
        if discard and discard[-1] == len(stack):
            discard.pop()
        elif not stack:
            yield (SPREAD if spread and kind == _CLOSE and type(value) is list else value,
                   start, children)
        elif spread and len(stack) == 1 and stack[0].opener != "{":
            yield value, start, children
        else:
            stack[-1].items.append(value)
            if len(stack) == 1:
                stack[0].children.append(start)
    if stack:
        raise EdnError("unexpected end of input inside a collection", stack[0].start)
    if discard:
        raise EdnError("#_ with nothing to discard at the end of input", n)


def _close(stack: list[_Frame], closer: str, at: int) -> tuple[Any, int, list[int]]:
    """The collection ``closer`` (at offset ``at``) ends: (its value, where it began, where
    its items began)."""
    if not stack:
        raise EdnError(f"unbalanced {closer!r}", at)
    frame = stack.pop()
    if _CLOSER[frame.opener] != closer:
        raise EdnError(f"{frame.opener!r} closed by {closer!r}", at,
                       stack[0].start if stack else frame.start)
    return _collection(frame.opener, frame.items, at), frame.start, frame.children


def iter_edn(text: str) -> Iterator[Any]:
    """Top-level EDN values of ``text``, in order."""
    for value, _, _ in parse_located(text):
        yield value


class _Lines:
    """Offset -> 1-based line number."""

    def __init__(self, text: str) -> None:
        self.breaks = array("q", [m.start() for m in re.finditer("\n", text)])

    def __call__(self, offset: int) -> int:
        return bisect.bisect_right(self.breaks, offset - 1) + 1


class _Orphan(Exception):
    """An op without ``:process``: the file is read whole (see :func:`_adopt`)."""


def _op_maps(text: str, p: Path, lines: _Lines) -> Iterator[tuple[Any, int]]:
    """(op map, line) for each op of the file, in order, as the text is read. A torn last
    value (a killed writer: the text stops inside it, on the last line) is dropped with a
    warning."""
    first = -1  # where the first value outside a top-level collection began
    vector = -1  # where the top-level collection of ops began
    try:
        for value, start, _ in parse_located(text, spread=True):
            if vector >= 0 or (value is SPREAD and 0 <= first < start):
                raise BadInput("expected one vector of op maps, or op maps one after another",
                               f"{p}:{lines(max(vector, start) if value is SPREAD else vector)}")
            if value is SPREAD:
                vector = start
                continue
            if first < 0:
                first = start
            yield value, lines(start)
    except EdnError as e:
        last_line = lines(len(text.rstrip()))
        torn = (not text.endswith("\n") and lines(e.top) == last_line
                and not isinstance(e, EdnLimit))
        if not torn:
            raise BadInput(f"invalid EDN: {e}", f"{p}:{lines(e.offset)}") from None
        log.warning("%s:%d: last line is incomplete (torn write?); ignoring it", p, last_line)


def read_edn(path: str | os.PathLike[str] | HistoryInput) -> History:
    """A Jepsen history: one vector (or list) of op maps, or op maps one after another.

    Explanations cite the file's own ``:index`` and line of each op. Ops without ``:process``
    (Elle's illustrative histories) are accepted with one warning, each as its own process.
    Each op goes into the history as it is read, so no more than the text and the history are
    held at once; a file with an op without ``:process`` is read whole instead.
    """
    with as_input(path) as src:
        p, text = Path(src.name), src.text()
    lines = _Lines(text)
    try:
        return _build(_op_maps(text, p, lines), p, orphans=False)
    except _Orphan:
        maps = list(_op_maps(text, p, lines))
        orphans = [i for i, (d, _) in enumerate(maps) if isinstance(d, dict)
                   and "process" not in d]
        return _build(_adopt(maps, orphans, p), p, orphans=True)


def _build(maps: Iterable[tuple[Any, int]], p: Path, orphans: bool) -> History:
    """The history of these (op map, line) pairs; raises :class:`_Orphan` at an op without
    ``:process`` unless ``orphans`` (they were given processes)."""
    b, watch, lines, timed = HistoryBuilder(str(p)), OpWatch(), array("q"), False
    for n, (d, line) in enumerate(maps):
        if not orphans and isinstance(d, dict) and "process" not in d:
            raise _Orphan
        where = f"{p}:{line}"
        op = op_from_dict(d, where, n)
        watch.see(d, op, where)
        b.add(op)
        lines.append(line)
        timed = timed or "time" in d
    if not len(b):
        raise BadInput("empty history (no ops)", str(p))
    h = b.build()
    h.set_lines(lines)
    # Knossos's and Elle's example histories have no :time: each op is timed by its position.
    h.timed = timed
    watch.paired(h, lambda i: f"{p}:{lines[i]}")
    return h


def _adopt(maps: list[tuple[Any, int]], orphans: list[int], p: Path) -> list[tuple[Any, int]]:
    """Give each op without ``:process`` a process of its own. A completion gets an invocation
    at the start of the history, so such ops are all concurrent: the file says nothing about
    their timing (as in Elle, which then infers no real-time or process order)."""
    fresh = max([proc for d, _ in maps if isinstance(d, dict)
                 and isinstance(proc := d.get("process"), int) and not isinstance(proc, bool)],
                default=-1) + 1
    front: list[tuple[Any, int]] = []
    out = list(maps)
    for i in orphans:
        d, line = maps[i]
        d = {**d, "process": fresh}
        if "f" not in d and isinstance(d.get("value"), list):
            d["f"] = "txn"  # Elle's histories leave out :f of transactions
        fresh += 1
        out[i] = (d, line)
        if d.get("type") != "invoke":  # cited as its completion is: same index, same line
            call = {k: v for k, v in d.items() if k != "time"}
            front.append(({**call, "type": "invoke", "time": 0}, line))
    log.warning("%s: %d ops have no :process; each is taken as its own process%s", p,
                len(orphans), ", invoked at the start of the history" if front else "")
    return front + out


_LEADING = re.compile(rb"(?:[\s,]+|;[^\n]*|\#_)*")


_STRING_KEY = re.compile(rb'"(?:[^"\\]|\\.)*"[ \t\r\n,]*')


def detect_edn(head: bytes) -> str | None:
    """``edn`` when the file's first bytes, after comments, discards and blank lines, open a
    vector, a list, or a map whose first key is a keyword, or a string not followed by ``:``
    (JSON Lines open a map with ``"key":``)."""
    s = head[_LEADING.match(head).end():]  # type: ignore[union-attr]  # always matches
    if s.startswith((b"[", b"(")):
        return "edn"
    if not s.startswith(b"{"):
        return None
    if s != head.lstrip():
        return "edn"  # JSON has no comments
    rest = s[1:].lstrip(b" \t\r\n,")
    if rest.startswith(b":"):
        return "edn"
    key = _STRING_KEY.match(rest)
    return "edn" if key and key.end() < len(rest) and rest[key.end()] != ord(":") else None


# --- writing -------------------------------------------------------------------------------
_KEYWORD = re.compile(r"[A-Za-z*+!_?<>=-][A-Za-z0-9*+!_?<>=.\-/]*$")


def _kw(s: Any) -> str:
    """``s`` as a keyword when it can be one (isolde reads ``:x`` and ``"x"`` alike; Jepsen's
    tools expect keywords), else as an EDN value."""
    return f":{s}" if isinstance(s, str) and _KEYWORD.match(s) else dumps_edn(s)


def dumps_edn(v: Any) -> str:
    """A JSON-like value as EDN: map keys that can be keywords are written as keywords."""
    if v is None or type(v) is bool:
        return _WORD_OF[v]
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, float):
        if math.isnan(v):
            return "##NaN"
        return repr(v) if math.isfinite(v) else ("##Inf" if v > 0 else "##-Inf")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_kw(k)} {dumps_edn(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(dumps_edn(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as EDN")


def _op_value(op: Op) -> str:
    """A transaction's micro-op functions (and keys, when they can be) are keywords for Elle
    and Knossos (``[:append :x 1]``): micro-ops are written so; every other value as it is."""
    v = op.value
    if op.f == "txn" and isinstance(v, list) and all(
            isinstance(m, list) and m and isinstance(m[0], str) for m in v):
        return "[" + " ".join("[" + " ".join([_kw(m[0]), *map(_kw, m[1:2]),
                                              *map(dumps_edn, m[2:])]) + "]"
                              for m in v) + "]"
    return dumps_edn(v)


def op_to_edn(op: Op) -> str:
    """One op map, Jepsen's way: type, f, an error name and a nemesis process as keywords."""
    d = op.to_dict()
    parts = []
    for k, x in d.items():
        if k in ("type", "f", "error") or (k == "process" and x == NEMESIS):
            s = _kw(x)
        elif k == "value":
            s = _op_value(op)
        else:
            s = dumps_edn(x)
        parts.append(f"{_kw(k)} {s}")
    return "{" + ", ".join(parts) + "}"


def write_edn(ops: Iterable[Op], path: str | Path) -> None:
    """Ops as a Jepsen ``history.edn``: one op map a line."""
    with open(path, "w", encoding="utf-8") as fh:
        for op in ops:
            fh.write(op_to_edn(op) + "\n")
