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
from urllib.parse import urlsplit

from ._errors import UsageError
from ._redact import redact_url
from .checkers import CheckConfig, make_checker
from .checkers.isolation import check_names
from .checkers.linearizable import make_model

# Which `isolde run` options (argparse dests) each store and each workload reads. An option given
# to one that does not read it is refused: silently ignoring it would run another test than the
# one asked for. One table per side, so that it can fold into the store and workload
# declarations; a store or workload missing here (a plugin) is not checked.
_MEMORY = frozenset({"replicas", "lag_ms", "latency_ms", "bounded_versions", "bounded_ms",
                     "writers", "isolation"})
_EMULATOR = frozenset({"region", "table", "keep", "partition_via"})
STORE_OPTIONS: dict[str, frozenset[str]] = {
    "memory": _MEMORY,
    "dynamodb": frozenset({"region", "profile", "endpoint_url", "table", "keep", "yes"}),
    "dynamodb-local": _EMULATOR | {"persistent"},
    "dynalite": _EMULATOR | {"persistent"},
    "moto": _EMULATOR,  # an in-process server: nothing on disk
}
_TXN = frozenset({"keys", "max_writes_per_key", "max_txn_length", "isolation"})
WORKLOAD_OPTIONS: dict[str, frozenset[str]] = {
    "register": frozenset({"keys", "ops_per_key", "read_consistency"}),
    "causal": frozenset({"read_consistency"}),
    "list-append": _TXN,
    "rw-register": _TXN,
    "bank": frozenset({"accounts", "total", "bank_mode", "isolation"}),
}


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _who_reads(dest: str, table: Mapping[str, frozenset[str]]) -> str:
    return ", ".join(sorted(name for name, opts in table.items() if dest in opts))


def check_applicable(store: str, workload: str, given: Iterable[str]) -> None:
    """Refuse an option the store or the workload would ignore."""
    for side, name, table in (("store", store, STORE_OPTIONS),
                              ("workload", workload, WORKLOAD_OPTIONS)):
        accepted = table.get(name)
        if accepted is None:
            continue
        scoped = frozenset().union(*table.values())
        for dest in sorted(set(given) & scoped - accepted):
            raise UsageError(f"{_flag(dest)} does not apply to {side} {name!r} (it applies to: "
                             f"{_who_reads(dest, table)})")


def check_checking(checkers: Iterable[str] | None, config: CheckConfig) -> None:
    """Checker, linearizability model and consistency model names, before the run they judge."""
    for name in checkers or ():
        make_checker(name, config)
    if config.model is not None:
        make_model(config.model)
    check_names(config.consistency_models)


def check_nemesis(nemesis: Iterable[str], options: Mapping[str, Any]) -> None:
    if options.get("partition_via", "proxy") != "proxy" and "partition" not in nemesis:
        raise UsageError("--partition-via applies only with --nemesis partition")


def check_endpoint_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--endpoint-url {redact_url(url)!r}: expected http://HOST[:PORT] or "
                         "https://HOST[:PORT]")
    try:
        parts.port  # noqa: B018 -- parsing the port is the check
    except ValueError:
        raise UsageError(f"--endpoint-url {redact_url(url)!r}: bad port") from None
    if "@" in parts.netloc:  # requests are signed with AWS credentials; a URL cannot carry any
        raise UsageError(f"--endpoint-url {redact_url(url)!r}: no user or password in the URL "
                         "(credentials come from the AWS chain)")


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
