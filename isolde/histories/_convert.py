"""``isolde convert``: a history from any readable format to JSON Lines or Jepsen EDN."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import pairwise
from pathlib import Path

from .._errors import BadInput, UsageError
from ._edn import write_edn
from ._formats import load_history
from ._history import History
from ._jsonl import write_jsonl
from ._op import Op

WRITERS: dict[str, Callable[[Iterable[Op], Path], None]] = {
    "jsonl": lambda ops, path: write_jsonl(list(ops), path),
    "edn": write_edn,
}
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".edn": "edn"}


def output_format(path: Path, to: str | None) -> str:
    """``to``, else the format ``path``'s suffix names."""
    if to is not None:
        if to not in WRITERS:
            raise UsageError(f"cannot write format {to!r} (known: {', '.join(sorted(WRITERS))})")
        return to
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"{path}: cannot tell the output format from the name (use a .jsonl "
                         "or .edn suffix, or --to jsonl|edn)")
    return fmt


def _ops(history: History) -> Iterator[Op]:
    """The history's ops carrying the file's own ``index`` when it numbered them in order
    (so that a converted file cites the same ops), else their positions."""
    own = [history.file_index(i) for i in range(len(history))]
    keep = all(a < b for a, b in pairwise(own))
    for i, op in enumerate(history):
        yield op.with_(index=own[i]) if keep else op


def convert(src: Path, dst: Path, from_format: str = "auto", to: str | None = None) -> int:
    """Read ``src`` (any readable format) and write it to ``dst``; returns the number of ops."""
    fmt = output_format(dst, to)
    if dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise UsageError(f"{dst}: output is the input file")
    history = load_history(src, from_format)
    try:
        WRITERS[fmt](_ops(history), dst)
    except OSError as e:
        raise BadInput(f"cannot write: {e.strerror}", str(dst)) from None
    return len(history)
