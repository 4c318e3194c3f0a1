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
    ("max_writes_per_key", ("workload_options", "options", "max_writes_per_key")),
    ("max_txn_length", ("workload_options", "options", "max_txn_length")),
    ("accounts", ("workload_options", "options", "accounts")),
    ("total", ("workload_options", "options", "total")),
    ("bank_mode", ("workload_options", "options", "bank_mode")),
    ("replicas", ("store_options", "replicas")),
    ("lag_ms", ("store_options", "lag_ms")),
    ("latency_ms", ("store_options", "latency_ms")),
    ("bounded_versions", ("store_options", "bounded_versions")),
    ("bounded_ms", ("store_options", "bounded_ms")),
    ("writers", ("store_options", "writers")),
    ("isolation", ("store_options", "isolation")),
    ("region", ("store_options", "region")),
    ("profile", ("store_options", "profile")),
    ("endpoint_url", ("store_options", "endpoint_url")),
    ("table", ("store_options", "table")),
    ("keep", ("store_options", "keep")),
    ("persistent", ("store_options", "persistent")),
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
    for dest, path in FLAGS:
        value = _lookup(scenario, path)
        default = defaults.get(dest, _MISSING)
        if value is _MISSING or _same(value, default):
            continue
        flag = "--" + dest.replace("_", "-")
        if value is True or value is False:
            if value:
                words.append(flag)
            continue
        words += [flag, _without_credentials(_word(value)) if dest == "endpoint_url" else
                  _word(value)]
    return shlex.join(words)


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
