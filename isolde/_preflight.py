"""``isolde run``'s checks before anything runs. Every name and option is judged here and a bad
one refused in one line (UsageError, exit 254) before a request is sent, a plan printed or a run
directory made: a mistake found after the load would have cost the load (in a cloud audit, money).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ._errors import UsageError
from .checkers import CheckConfig, make_checker
from .checkers.isolation import check_names
from .checkers.linearizable import ModelOptions, make_model


def check_checking(checkers: Iterable[str] | None, config: CheckConfig) -> None:
    """Checker, linearizability model and consistency model names, before the run they judge."""
    for name in checkers or ():
        make_checker(name, config)
    if config.model is not None:  # with its options: a model may take no --initial
        make_model(config.model, ModelOptions.of(config.initial, config.nil_reads))
    check_names(config.consistency_models)


def check_nemesis(nemesis: Iterable[str], options: Mapping[str, Any]) -> None:
    if options.get("partition_via", "proxy") != "proxy" and "partition" not in nemesis:
        raise UsageError("--partition-via applies only with --nemesis partition")


def check_store_dir(path: Path) -> None:
    """The run directories' parent must be a directory isolde can write, or one it can create
    there -- judged without creating anything, so that a refused run leaves nothing behind."""
    try:
        existing = path
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise UsageError(f"--store-dir {path}: {existing} is not a directory")
        name_max = os.pathconf(existing, "PC_NAME_MAX")
        for part in path.relative_to(existing).parts:
            if len(os.fsencode(part)) > name_max:
                raise UsageError(f"--store-dir {path}: a name longer than {name_max} bytes")
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as e:
        raise UsageError(f"--store-dir {path}: cannot write there ({e.strerror})") from None


def check_output_file(flag: str, path: Path) -> None:
    """A file isolde writes after the run (--junit) must be writable now, not after the load."""
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a directory")
    existed = path.exists()
    try:
        with path.open("ab"):  # append mode: an existing file is left as it is
            pass
    except OSError as e:
        raise UsageError(f"{flag} {path}: cannot write there ({e.strerror})") from None
    if not existed:
        with contextlib.suppress(OSError):
            path.unlink()
