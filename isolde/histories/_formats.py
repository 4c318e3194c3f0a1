"""Reading a history file in any supported format, detected from its content."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator

from .._errors import BadInput
from ._edn import detect_edn, read_edn
from ._history import History
from ._input import HistoryInput, LoadLimits
from ._jsonl import read_jsonl
from ._porcupine import detect_porcupine, read_porcupine_etcd, read_porcupine_kv

# A reader takes a path or an already opened (perhaps peeked-at) input.
Reader = Callable[[HistoryInput], History]

# Format name -> reader. Importers for other tools' logs add themselves here.
READERS: dict[str, Reader] = {
    "jsonl": read_jsonl,
    "edn": read_edn,
    "porcupine-etcd": read_porcupine_etcd,
    "porcupine-kv": read_porcupine_kv,
}
# Detectors run in order on the file's first bytes; the first to answer names the format.
DETECTORS: list[Callable[[bytes], str | None]] = [detect_porcupine]


def _detect_builtin(head: bytes) -> str | None:
    s = head.lstrip()
    if detect_edn(head):  # first: an EDN map may open with a string key too
        return "edn"
    if s.startswith(b'{"') or s.startswith(b"{ \""):
        return "jsonl"
    return None


def detect_format(source: str | os.PathLike[str] | HistoryInput) -> str:
    """The format of a history, from its first bytes (peeked: an open input stays unread)."""
    if isinstance(source, HistoryInput):
        return _detect(source)
    with HistoryInput.open(source) as src:
        return _detect(src)


def _detect(src: HistoryInput) -> str:
    head = src.head()
    if not head.strip():
        raise BadInput("empty history (no ops)", src.name)
    for detect in [*DETECTORS, _detect_builtin]:
        fmt = detect(head)
        if fmt:
            return fmt
    if b"\x00" in head or _mostly_binary(head):
        raise BadInput("not a text history (binary data)", f"{src.name}:1")
    raise BadInput(
        "unrecognised history format (expected JSONL, Jepsen EDN or a Porcupine log)",
        f"{src.name}:1",
    )


def _mostly_binary(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start < len(head) - 4  # a cut multi-byte char at the end is not binary
    return False


def load_history(
    path: str | os.PathLike[str], format: str = "auto", *, limits: LoadLimits | None = None
) -> History:
    """Read a history (``-`` is stdin) once; ``format`` is ``auto`` or a key of
    :data:`READERS`; ``limits`` bound its lines and the time and memory spent loading."""
    if format != "auto" and format not in READERS:
        raise BadInput(f"unknown history format {format!r} (known: {', '.join(sorted(READERS))})")
    with HistoryInput.open(path, limits) as src, gc_paused():
        return READERS[_detect(src) if format == "auto" else format](src)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a history is read: a reader makes millions of
    containers and no cycles, and each collection would scan all of them again (it made
    loading a list-append history three times slower). They are then frozen (still freed by
    reference counting, never scanned), or the first collection after would scan them all, and
    so would every full one while the checkers run.

    Cyclic garbage left from before is collected first: frozen, it could never be freed. A
    long-lived process that loads one history after another (a soak's check worker) otherwise
    kept every history it had drawn a report of (the drawing's caught exceptions hold frames
    that refer to it) -- 0.8 GB more per 5-minute segment."""
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()
