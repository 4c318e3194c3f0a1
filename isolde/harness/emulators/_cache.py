"""Where isolde keeps downloaded emulators: a per-user cache directory, never the repository.

``$ISOLDE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/isolde``, else ``~/.cache/isolde``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


def cache_dir() -> Path:
    """The isolde cache root (created on demand by the callers that write to it)."""
    explicit = os.environ.get("ISOLDE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "isolde"


def emulators_dir() -> Path:
    return cache_dir() / "emulators"


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """An exclusive inter-process lock, so two installs of one emulator never race."""
    d = emulators_dir()
    d.mkdir(parents=True, exist_ok=True)
    with open(d / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
