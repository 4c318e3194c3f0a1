"""The ``isolde run`` command line that reproduces a run, rebuilt from its scenario.json."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# `isolde run` flag -> where scenario.json keeps its value. Only values that differ from the
# flag's default are written, so the command stays as short as the one typed.
FLAGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("store", ("store",)),
    ("workload", ("workload",)),
    ("nemesis", ("nemesis",)),
    ("nemesis_interval", ("nemesis_interval",)),
    ("partition_via", ("nemesis_options", "partition_via")),
    ("time_limit", ("time_limit",)),
    ("concurrency", ("concurrency",)),
    ("rate", ("rate",)),
    ("max_ops", ("max_ops",)),
    ("seed", ("seed",)),
    ("op_timeout", ("op_timeout",)),
    ("keys", ("workload_options", "keys")),
    ("ops_per_key", ("workload_options", "ops_per_key")),
    ("read_consistency", ("workload_options", "read_consistency")),
    ("checker", ("checkers",)),
    ("model", ("check", "model")),
    ("check_time_limit", ("check", "time_limit")),
    ("memory_limit", ("check", "memory_limit")),
    ("consistency_models", ("check", "consistency_models")),
    ("staleness_sla", ("check", "staleness_sla")),
    ("details", ("check", "details")),
)
_MISSING = object()


def reproduce_command(scenario: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    """``isolde run --flag value ...`` for every option of ``scenario`` not at its default
    (``defaults``: the parser's defaults of ``isolde run``, by destination)."""
    words = ["isolde", "run"]
    for dest, path in (*FLAGS, *_plugin_flags(defaults)):
        value = _lookup(scenario, path)
        default = defaults.get(dest, _MISSING)
        if value is _MISSING or _same(value, default):
            continue
        flag = "--" + dest.rpartition(":")[2].replace("_", "-")
        if value is True or value is False:
            if value:
                words.append(flag)
            continue
        words += [flag, _without_credentials(_word(value)) if dest.endswith("endpoint_url") else
                  _word(value)]
    return shlex.join(words)


def _plugin_flags(defaults: Mapping[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """The store's and workload's own flags (``store:NAME`` / ``workload:NAME`` in
    ``defaults``) and where scenario.json keeps their values."""
    where = {"store:": ("store_options",), "workload:": ("workload_options", "options")}
    return [(dest, (*where[prefix], dest.removeprefix(prefix)))
            for dest in defaults for prefix in where if dest.startswith(prefix)]


def _without_credentials(url: str) -> str:
    """A URL's ``user:password@`` is a credential: a report is shared, so it never shows one."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def _lookup(d: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = d
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, list | tuple) and isinstance(default, list | tuple):
        return list(value) == list(default)
    if value is None and default in ((), []):
        return True
    return bool(value == default)


def _word(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
