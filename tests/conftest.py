"""Shared test helpers."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "porcupine"


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m isolde ARGS`` as a user would; returns the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "isolde", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=timeout,
    )


def run_on_terminal(*args: str, env: dict[str, str] | None = None,
                    timeout: float = 60) -> tuple[int | None, bytes]:
    """Run ``python -m isolde ARGS`` on a pseudo-terminal (so progress bars show); returns the
    exit code (None: still running after ``timeout`` s, killed) and everything it printed."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "isolde", *args], stdin=slave, stdout=slave,
                            stderr=slave, cwd=ROOT, env=env)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not select.select([master], [], [], 1.0)[0]:
            continue  # nothing shown for a second: wait on, up to the deadline
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the run ended
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    try:
        code: int | None = proc.wait(timeout=max(deadline - time.monotonic(), 1))
    except subprocess.TimeoutExpired:
        code = None  # hung
    finally:
        proc.kill()
    return code, out


@pytest.fixture
def cli():
    return run_cli
