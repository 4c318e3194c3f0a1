"""A history's bytes, read exactly once from a file, a pipe, a FIFO or stdin, within bounds.

Format detection peeks at the first bytes through the same buffer the reader then consumes, so
nothing is lost on an input that cannot be reopened or rewound (``cat h | isolde check -``,
``<(cat h)``, a FIFO). Every line is bounded (``max_line`` bytes), a NUL byte is binary data,
and loading stops with :class:`OutOfBudget` when the check's time or memory budget runs out, so
``/dev/zero``, ``/dev/urandom`` or a huge file end quickly with one line, never an OS kill.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import BinaryIO

from .._errors import BadInput, OutOfBudget
from .._resources import rss_bytes

DEFAULT_MAX_LINE = 64 << 20  # bytes; no real op comes near this
STDIN = "-"
_CHUNK = 1 << 20
HEAD = 4096


@dataclass(frozen=True)
class LoadLimits:
    """Bounds on reading one history: the longest line, and the check's budget (loading counts
    against it): a monotonic ``deadline`` and the ``memory_limit`` bytes of growth allowed."""

    max_line: int = DEFAULT_MAX_LINE
    deadline: float | None = None
    memory_limit: int | None = None



class HistoryInput:
    """One history input, consumed once: ``head()`` peeks, then ``lines()`` or ``text()``.

    Lines end with LF, CRLF or — in a file whose first line ends in a lone CR — CR; a line is
    yielded without its terminator, with whether it had one (a last line without may be torn).
    """

    def __init__(self, stream: BinaryIO, name: str, limits: LoadLimits | None = None) -> None:
        self.name = name
        self.limits = limits or LoadLimits()
        self._fh = stream
        self._buf = b""
        self._eof = False
        self._rss0 = rss_bytes() if self.limits.memory_limit else 0

    @classmethod
    def open(cls, path: str | os.PathLike[str], limits: LoadLimits | None = None) -> HistoryInput:
        """``-`` is stdin; anything else is opened once (a FIFO blocks until it has a writer)."""
        name = os.fspath(path)
        if name == STDIN:
            return cls(sys.stdin.buffer, "<stdin>", limits)
        try:
            if Path(name).is_dir():
                raise BadInput("is a directory, not a history file", name)
            fh = open(name, "rb")  # noqa: SIM115 - closed by close() / the context manager
        except FileNotFoundError:
            raise BadInput("no such file", name) from None
        except OSError as e:
            raise BadInput(f"cannot open: {e.strerror or e}", name) from None
        return cls(fh, name, limits)

    def __enter__(self) -> HistoryInput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._fh is not sys.stdin.buffer:
            self._fh.close()

    def _fill(self, want: int) -> None:
        while not self._eof and len(self._buf) < want:
            self._buf += self._read()

    def _read(self) -> bytes:
        try:
            chunk = self._fh.read(_CHUNK)
        except OSError as e:
            raise BadInput(f"cannot read: {e.strerror or e}", self.name) from None
        if not chunk:
            self._eof = True
        self._check_budget()
        return chunk

    def _check_budget(self) -> None:
        lim = self.limits
        if lim.deadline is not None and time.monotonic() > lim.deadline:
            raise OutOfBudget(f"{self.name}: the check time limit ran out while loading")
        if lim.memory_limit is not None and rss_bytes() - self._rss0 > lim.memory_limit:
            raise OutOfBudget(f"{self.name}: the memory limit ran out while loading")

    def head(self, n: int = HEAD) -> bytes:
        """The first ``n`` bytes (fewer at the end of input), without consuming them."""
        self._fill(n)
        return self._buf[:n]

    def _separator(self) -> bytes:
        """LF, unless a CR comes first with no LF after it (a CR-only file); the peek grows
        until it holds a line end (a first line may be long), up to a chunk (1 MiB)."""
        n = HEAD
        while True:
            head = self.head(n)
            if b"\n" in head:
                return b"\n"
            if b"\r" in head[:-1] or (self._eof and b"\r" in head):  # "\r" last: "\r\n"?
                return b"\r"
            if self._eof or n >= _CHUNK:
                return b"\n"
            n *= 4

    def blocks(self) -> Iterator[tuple[int, list[bytes], bool]]:
        """``(first line number, lines, last line terminated)`` for each chunk's worth of lines,
        in order: a reader handles a block in a few C-speed passes instead of line by line.
        Only the last block's last line can be unterminated."""
        sep = self._separator()
        buf, self._buf = self._buf, b""
        lineno = 1
        while True:
            chunk = buf  # every line below is part of it: the checks look at it first, in C
            *complete, buf = chunk.split(sep)
            tail = self._eof and buf != b""
            if tail:
                complete.append(buf)
            if complete:
                if b"\r" in chunk and any(map(bytes.endswith, complete, repeat(b"\r"))):
                    complete = [line.removesuffix(b"\r") for line in complete]
                clean = len(chunk) <= self.limits.max_line and b"\0" not in chunk
                bad = -1 if clean else self._first_bad(complete)
                if bad >= 0:  # the lines before it first: a reader meets errors in file order
                    if bad:
                        yield lineno, complete[:bad], True
                    self._checked(complete[bad], lineno + bad)
                yield lineno, complete, not tail
                lineno += len(complete)
            if self._eof:
                break
            self._checked(buf, lineno)  # a line with no end in sight is refused while it grows
            buf += self._read()

    def lines(self) -> Iterator[tuple[int, bytes, bool]]:
        """``(line number, line, terminated)`` for each line, in order."""
        for lineno, block, terminated in self.blocks():
            last = len(block) - 1
            for k, line in enumerate(block):
                yield lineno + k, line, terminated or k < last

    def _first_bad(self, lines: list[bytes]) -> int:
        """The first line too long or holding a NUL byte, or -1 (checked in C first)."""
        limit = self.limits.max_line
        if max(map(len, lines)) <= limit and not any(map(bytes.__contains__, lines,
                                                         repeat(b"\0"))):
            return -1
        return next(k for k, line in enumerate(lines) if len(line) > limit or b"\0" in line)

    def _checked(self, line: bytes, lineno: int) -> bytes:
        if len(line) > self.limits.max_line:
            raise BadInput(f"line longer than the maximum of {self.limits.max_line:,} bytes"
                           " (--max-line-length)", f"{self.name}:{lineno}")
        if b"\0" in line:
            raise BadInput("not a text history (binary data)", f"{self.name}:{lineno}")
        return line

    def text(self) -> str:
        """The whole input as text, lines joined by LF; bad UTF-8 is an error naming its line."""
        out: list[str] = []
        for lineno, line, terminated in self.lines():
            try:
                out.append(line.decode("utf-8") + ("\n" if terminated else ""))
            except UnicodeDecodeError:
                raise BadInput("not a text history (binary data)",
                               f"{self.name}:{lineno}") from None
        return "".join(out)


def as_input(source: str | os.PathLike[str] | HistoryInput) -> HistoryInput:
    """Readers take a path (opened here) or an input already opened (and maybe peeked at)."""
    return source if isinstance(source, HistoryInput) else HistoryInput.open(source)
