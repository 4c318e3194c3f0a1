"""JSON Lines histories: the canonical on-disk form, streamed as a run goes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from .._errors import BadInput
from ._history import History
from ._op import EMPTY, OP_TYPES, Op

log = logging.getLogger("isolde.histories")

STANDARD_FIELDS = ("index", "time", "type", "process", "f", "value", "error")


def op_from_dict(d: Any, where: str, position: int) -> Op:
    """Validate one decoded op map; raise BadInput naming ``where`` on any wrong field."""
    if not isinstance(d, dict):
        raise BadInput(f"expected an op object, got {type(d).__name__}", where)
    t = d.get("type")
    if not isinstance(t, str):
        raise BadInput(f"field 'type' must be a string, got {t!r}", where)
    if t not in OP_TYPES:
        raise BadInput(f"unknown op type {t!r} (expected one of {', '.join(OP_TYPES)})", where)
    if "process" not in d:
        raise BadInput("missing field 'process'", where)
    p = d["process"]
    if isinstance(p, bool) or not isinstance(p, (int, str)):
        raise BadInput(f"field 'process' must be an integer or string, got {p!r}", where)
    f = d.get("f")
    if not isinstance(f, str):
        raise BadInput(f"field 'f' must be a string, got {f!r}", where)
    time = d.get("time", position)
    if isinstance(time, bool) or not isinstance(time, int):
        if isinstance(time, float) and time.is_integer():
            time = int(time)
        else:
            raise BadInput(f"field 'time' must be an integer (ns), got {time!r}", where)
    index = d.get("index", position)
    if isinstance(index, bool) or not isinstance(index, int):
        raise BadInput(f"field 'index' must be an integer, got {index!r}", where)
    extra = {k: v for k, v in d.items() if k not in STANDARD_FIELDS}
    # The file's own index, which History keeps for reports when it is not the position.
    return Op(index, time, t, p, f, d.get("value"), d.get("error"), extra or EMPTY)


def iter_jsonl(path: Path) -> Iterator[Op]:
    """Ops of a JSONL file, validated. A torn last line (a killed writer) is dropped with a
    warning; a bad line anywhere else is an error naming ``file:line``."""
    with open(path, "rb") as fh:
        data = fh.read()
    if not data.strip():
        raise BadInput("empty history (no ops)", str(path))
    lines = data.split(b"\n")
    # The file ends with a newline when complete, leaving an empty last element.
    last_real = max(i for i, ln in enumerate(lines) if ln.strip())
    position = 0
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            d = orjson.loads(raw)
        except orjson.JSONDecodeError:
            if lineno - 1 == last_real and not data.endswith(b"\n"):
                log.warning("%s: last line is incomplete (torn write?); ignoring it", where)
                return
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise BadInput("not a text history (binary data)", where) from None
            raise BadInput("not valid JSON (truncated or corrupt line)", where) from None
        yield op_from_dict(d, where, position)
        position += 1


def read_jsonl(path: str | os.PathLike[str]) -> History:
    p = Path(path)
    return History(iter_jsonl(p), source=str(p))


class HistoryWriter:
    """Appends ops to a JSONL file, flushing each line to the OS so a killed run keeps it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fh: IO[bytes] = open(self.path, "ab", buffering=0)  # noqa: SIM115
        self.count = 0

    def write(self, op: Op) -> None:
        self._fh.write(orjson.dumps(op.to_dict(), option=_OPTS) + b"\n")
        self.count += 1

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> HistoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_OPTS = orjson.OPT_NON_STR_KEYS


def dumps_value(v: Any) -> str:
    return orjson.dumps(v, option=_OPTS).decode()


def write_jsonl(history: History | list[Op], path: str | os.PathLike[str]) -> None:
    with open(path, "wb") as fh:
        for op in history:
            fh.write(orjson.dumps(op.to_dict(), option=_OPTS) + b"\n")
