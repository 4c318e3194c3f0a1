"""A small EDN reader for Jepsen histories (``history.edn``).

Keywords become plain strings (``:ok`` -> ``"ok"``), vectors and lists become lists, sets become
sorted lists when sortable, maps with keyword keys become dicts with string keys. Tagged literals
(``#inst``, ``#jepsen.history.Op``...) keep their value and drop the tag.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from .._errors import BadInput
from ._history import History
from ._input import HistoryInput, as_input
from ._jsonl import MAX_DEPTH, op_from_dict
from ._op import Op
from ._sanity import OpWatch

_TOKEN = re.compile(
    r"""
    (?P<ws>[\s,]+|;[^\n]*)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<open>\#\{|[\[({])
  | (?P<close>[\])}])
  | (?P<tag>\#[A-Za-z][^\s,\[\](){}"]*)
  | (?P<discard>\#_)
  | (?P<char>\\(?:newline|space|tab|return|.))
  | (?P<atom>[^\s,\[\](){}"]+)
    """,
    re.VERBOSE,
)
_INT = re.compile(r"[+-]?\d+N?$")
_FLOAT = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "b": "\b", "f": "\f"}
_CHARS = {"newline": "\n", "space": " ", "tab": "\t", "return": "\r"}


class EdnError(ValueError):
    pass


class EdnLimit(EdnError):
    """Well-formed text isolde refuses (too deep, a lone surrogate): never a torn line."""


def _atom(tok: str) -> Any:
    if tok == "nil":
        return None
    if tok == "true":
        return True
    if tok == "false":
        return False
    if tok.startswith(":"):
        return tok[1:]
    if _INT.match(tok):
        return int(tok.rstrip("N"))
    if _FLOAT.match(tok):
        return float(tok.rstrip("M"))
    return tok  # a symbol: keep its name


def _unescape(s: str) -> str:
    body = s[1:-1]
    if "\\" not in body:
        return body
    out = re.sub(r"\\(u[0-9a-fA-F]{4}|.)", lambda m: (
        chr(int(m.group(1)[1:], 16)) if m.group(1).startswith("u") and len(m.group(1)) == 5
        else _ESCAPES.get(m.group(1), m.group(1))), body)
    try:  # \u escapes may spell a surrogate pair: join it; a lone one is no character at all
        return out.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise EdnLimit(f"string with a lone surrogate: {s[:40]!r}") from None


def _freeze(x: Any) -> Any:
    if isinstance(x, list):
        return tuple(_freeze(y) for y in x)
    if isinstance(x, dict):
        return tuple(sorted((repr(k), _freeze(v)) for k, v in x.items()))
    return x


def iter_edn(text: str) -> Iterator[Any]:
    """Top-level EDN values of ``text``, in order."""
    stack: list[tuple[str, list[Any]]] = []
    discard: list[int] = []  # stack depths at which the next complete value is discarded
    pos = 0
    n = len(text)

    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise EdnError(f"unexpected character {text[pos]!r} at offset {pos}")
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws" or kind == "tag":
            continue
        if kind == "discard":
            discard.append(len(stack))
            continue
        if kind == "open":
            if len(stack) >= MAX_DEPTH:  # the checkers recurse on values: refuse hostile depth
                raise EdnLimit(f"value nested more than {MAX_DEPTH} levels deep")
            stack.append((m.group(), []))
            continue
        if kind == "close":
            if not stack:
                raise EdnError(f"unbalanced {m.group()!r} at offset {m.start()}")
            opener, items = stack.pop()
            closer = m.group()
            if (opener == "[" and closer != "]") or (opener == "(" and closer != ")") or (
                opener in ("{", "#{") and closer != "}"
            ):
                raise EdnError(f"{opener!r} closed by {closer!r} at offset {m.start()}")
            value: Any
            if opener == "{":
                if len(items) % 2:
                    raise EdnError(f"map with an odd number of forms at offset {m.start()}")
                value = {}
                for k, v in zip(items[::2], items[1::2], strict=True):
                    value[_freeze(k) if isinstance(k, (list, dict)) else k] = v
            elif opener == "#{":
                try:
                    value = sorted(items)
                except TypeError:
                    value = items
            else:
                value = items
        elif kind == "str":
            value = _unescape(m.group())
        elif kind == "char":
            c = m.group()[1:]
            value = _CHARS.get(c, c)
        else:
            value = _atom(m.group())
        if discard and discard[-1] == len(stack):
            discard.pop()
            continue
        if stack:
            stack[-1][1].append(value)
        else:
            yield value
    if stack:
        raise EdnError("unexpected end of input inside a collection")


def read_edn(path: str | os.PathLike[str] | HistoryInput) -> History:
    """A Jepsen history: one op map per line, or one vector (or list) of op maps."""
    with as_input(path) as src:
        p, text = src.name, src.text()
    watch = OpWatch()
    if not text.strip():
        raise BadInput("empty history (no ops)", str(p))
    ops: list[Op] = []
    stripped = text.lstrip()
    if stripped.startswith(("[", "(")):
        try:
            values = list(iter_edn(text))
        except EdnError as e:
            raise BadInput(f"invalid EDN: {e}", str(p)) from None
        if len(values) != 1 or not isinstance(values[0], list):
            raise BadInput("expected one vector of op maps", str(p))
        for i, d in enumerate(values[0]):
            ops.append(op_from_dict(d, f"{p}#op{i}", i))
            watch.see(d, ops[-1], f"{p}#op{i}")
    else:
        lines = text.split("\n")
        last = max(i for i, ln in enumerate(lines) if ln.strip())
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{p}:{lineno}"
            try:
                vals = list(iter_edn(line))
            except EdnError as e:
                if lineno - 1 == last and not text.endswith("\n") and not isinstance(e, EdnLimit):
                    logging.getLogger("isolde.histories").warning(
                        "%s: last line is incomplete (torn write?); ignoring it", where
                    )
                    break
                raise BadInput(f"invalid EDN: {e}", where) from None
            for d in vals:
                ops.append(op_from_dict(d, where, len(ops)))
                watch.see(d, ops[-1], where)
    return History(ops, source=str(p))

