"""The results store: ``<store-dir>/<workload>-<store>/<UTC timestamp>/`` plus ``latest`` links."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path
from typing import Any

import orjson


def new_run_dir(store_dir: Path, workload: str, store: str) -> Path:
    """Create a fresh run directory named by the UTC time (suffixed if two runs collide)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    parent = store_dir / f"{workload}-{store}"
    parent.mkdir(parents=True, exist_ok=True)
    d = parent / stamp
    n = 1
    while True:
        try:
            d.mkdir()
            return d
        except FileExistsError:
            n += 1
            d = parent / f"{stamp}-{n}"


def _latest_links(run_dir: Path) -> tuple[Path, Path]:
    return run_dir.parent / "latest", run_dir.parent.parent / "latest"


def link_latest(run_dir: Path) -> None:
    """Point ``<parent>/latest`` and ``<store-dir>/latest`` at ``run_dir`` (relative links)."""
    for link in _latest_links(run_dir):
        _point(link, os.path.relpath(run_dir, link.parent))


def latest_targets(run_dir: Path) -> dict[Path, str | None]:
    """Where the ``latest`` links ``link_latest(run_dir)`` would move point now (None: absent)."""
    out: dict[Path, str | None] = {}
    for link in _latest_links(run_dir):
        try:
            out[link] = os.readlink(link)
        except OSError:
            out[link] = None
    return out


def restore_latest(targets: dict[Path, str | None]) -> None:
    """Put the ``latest`` links back as ``latest_targets`` found them (a run that broke)."""
    for link, target in targets.items():
        if target is None:
            with contextlib.suppress(OSError):
                link.unlink()
        else:
            _point(link, target)


def _point(link: Path, target: str) -> None:
    tmp = link.parent / f".latest-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        tmp.symlink_to(target)
        os.replace(tmp, link)
    except OSError:  # no symlinks on this filesystem (or no space left): not fatal
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (tmp file then rename) so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    os.replace(tmp, path)
