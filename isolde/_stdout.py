"""Standard output that a closed reader cannot turn into a verdict.

``isolde check h.jsonl | head -1`` closes the pipe early; the console output is then lost, but
the check must still finish, write its files and exit with its verdict. Writes after the reader
went away are dropped, and fd 1 is pointed at /dev/null so the interpreter's final flush does not
fail either.
"""

from __future__ import annotations

import io
import os
import sys

__all__ = ["SafeStdout"]


class SafeStdout(io.TextIOBase):
    """A text file for rich's Console (and raw bytes for JSON lines) over ``sys.stdout``."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = False

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return sys.stdout.encoding or "utf-8"

    def isatty(self) -> bool:
        return sys.stdout.isatty()

    def fileno(self) -> int:
        return sys.stdout.fileno()

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                sys.stdout.write(text)
            except (BrokenPipeError, ValueError):  # ValueError: stdout already closed
                self._gone()
        return len(text)

    def write_bytes(self, data: bytes) -> None:
        if not self.broken:
            try:
                sys.stdout.flush()
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            except (BrokenPipeError, ValueError):
                self._gone()

    def flush(self) -> None:
        if not self.broken:
            try:
                sys.stdout.flush()
            except (BrokenPipeError, ValueError):
                self._gone()

    def _gone(self) -> None:
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass  # stdout has no descriptor left to redirect: nothing will flush into it
