"""Reading a history file in any supported format, detected from its content."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .._errors import BadInput
from ._edn import detect_edn, read_edn
from ._history import History
from ._jsonl import read_jsonl
from ._porcupine import detect_porcupine, read_porcupine_etcd, read_porcupine_kv

Reader = Callable[[Path], History]

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


def detect_format(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise BadInput("no such file", str(path)) from None
    except IsADirectoryError:
        raise BadInput("is a directory, not a history file", str(path)) from None
    if not head.strip():
        raise BadInput("empty history (no ops)", str(path))
    for detect in [*DETECTORS, _detect_builtin]:
        fmt = detect(head)
        if fmt:
            return fmt
    if b"\x00" in head or _mostly_binary(head):
        raise BadInput("not a text history (binary data)", f"{path}:1")
    raise BadInput(
        "unrecognised history format (expected JSONL, Jepsen EDN or a Porcupine log)",
        f"{path}:1",
    )


def _mostly_binary(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start < len(head) - 4  # a cut multi-byte char at the end is not binary
    return False


def load_history(path: str | os.PathLike[str], format: str = "auto") -> History:
    """Read a history file; ``format`` is ``auto`` or a key of :data:`READERS`."""
    p = Path(path)
    if not p.exists():
        raise BadInput("no such file", str(p))
    fmt = detect_format(p) if format == "auto" else format
    reader = READERS.get(fmt)
    if reader is None:
        raise BadInput(f"unknown history format {fmt!r} (known: {', '.join(sorted(READERS))})")
    return reader(p)
