"""The ``isolde run`` command line that reproduces a run, rebuilt from its scenario.json."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_MISSING = object()


@dataclass(frozen=True)
class RunFlag:
    """An ``isolde run`` flag as a reproducing command needs it: its name, where scenario.json
    keeps its value, and its default (a value equal to it is left out, so the command stays as
    short as the one typed). The command line defines them (``isolde.cli.run_flags``)."""

    flag: str
    path: tuple[str, ...]
    default: Any


def reproduce_command(scenario: Mapping[str, Any], flags: Mapping[str, RunFlag]) -> str:
    """``isolde run --flag value ...`` for every flag (by destination) whose value in
    ``scenario`` is not its default."""
    words = ["isolde", "run"]
    for dest, f in flags.items():
        value = _lookup(scenario, f.path)
        if value is _MISSING or _same(value, f.default):
            continue
        if value is True or value is False:
            if value:
                words.append(f.flag)
            continue
        words += [f.flag, _without_credentials(_word(value)) if dest.endswith("endpoint_url")
                  else _word(value)]
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
