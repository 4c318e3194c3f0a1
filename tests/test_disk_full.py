"""A disk that fills up during a run (issue 11 section 3): one line saying so and where, the
history so far kept and checkable, and ``latest`` left on the last run that finished. On a small
tmpfs (needs root and mount; skipped otherwise)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import run_cli


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_is_one_line_and_keeps_the_history(small_disk: Path) -> None:
    first = run_cli("run", "--max-ops", "20", "--no-progress", "--store-dir", str(small_disk))
    assert first.returncode == 0, first.stderr
    finished = (small_disk / "latest").resolve()
    r = run_cli("run", "--time-limit", "30", "--no-progress", "--store-dir", str(small_disk))
    assert r.returncode == 255
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("isolde: error: disk full at "), r.stderr
    broken = next(d for d in (small_disk / "register-memory").iterdir()
                  if d.is_dir() and not d.is_symlink() and d != finished)
    assert (small_disk / "latest").resolve() == finished  # not moved to the broken run
    assert (small_disk / "register-memory" / "latest").resolve() == finished
    assert not (broken / "results.json").exists()
    check = run_cli("check", str(broken / "history.jsonl"))
    assert check.returncode in (0, 1, 2), check.stderr  # what was written is a history
