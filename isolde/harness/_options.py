"""Plugin options: a dataclass whose fields marked with :func:`option` become command-line flags.

A store or workload declares its knobs once, as a dataclass; ``isolde run`` adds a flag per
:func:`option` field (``--lag-ms`` for ``lag_ms``) to an argument group named after the plugin,
typed by the field's annotation (``int``, ``float``, ``str``, ``bool`` -> a switch, ``X | None``)
or parsed by the option's ``parse`` function. Fields without :func:`option` are knobs for code
(tests, benchmarks) only. Bad values are refused by the parser in one line (exit 254), and a
dataclass's ``__post_init__`` may raise UsageError for checks spanning fields.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .._errors import UsageError

O = TypeVar("O")  # noqa: E741 - an options dataclass
N = TypeVar("N", int, float)

_META = "isolde.option"


def option(default: Any, help: str, *, parse: Callable[[str], Any] | None = None,
           choices: Sequence[str] | None = None, metavar: str | None = None,
           for_needs: frozenset[str] | None = None) -> Any:
    """A dataclass field that is also a command-line flag. ``for_needs``: the flag matters only
    to workloads needing one of these capabilities (e.g. an isolation level to transactions);
    given with another workload, it is refused."""
    meta = {_META: {"help": help, "parse": parse, "choices": choices, "metavar": metavar,
                    "for_needs": for_needs}}
    return dataclasses.field(default=default, metadata=meta)


def for_needs(field: dataclasses.Field[Any]) -> frozenset[str] | None:
    needs: frozenset[str] | None = field.metadata[_META]["for_needs"]
    return needs


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def flags(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """The command-line flags of an options dataclass, by flag name."""
    return {flag_name(f.name): f for f in dataclasses.fields(cls) if _META in f.metadata}


# --- value parsers (shared with the core flags) ---------------------------------------------------
# No run needs larger numbers, and beyond 2**53 scenario.json and the history (JSON) no longer
# hold them exactly; NaN and infinity are never a count, a duration or a rate. A positive
# duration or rate below MIN_POSITIVE would overflow once inverted (1 / --rate, in ns).
MAX_NUMBER = 2**53
MIN_POSITIVE = 1e-6


def _number(s: str, kind: Callable[[str], Any], what: str) -> Any:
    try:
        v = kind(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {s!r}") from None
    if isinstance(v, float) and not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {s!r}")
    if abs(v) > MAX_NUMBER:
        raise argparse.ArgumentTypeError(f"must be at most 2**53, got {s}")
    return v


def _parser(kind: Callable[[str], N], what: str, ok: Callable[[N], bool],
            rule: str) -> Callable[[str], N]:
    """A flag's value parser: a ``kind`` number (finite, at most 2**53) for which ``ok``."""

    def parse(s: str) -> N:
        v: N = _number(s, kind, what)
        if not ok(v):
            raise argparse.ArgumentTypeError(f"{rule}, got {s}")
        return v

    return parse


whole_number = _parser(int, "a whole number", lambda v: True, "")
positive_int = _parser(int, "a whole number", lambda v: v >= 1, "must be at least 1")
positive_float = _parser(float, "a number", lambda v: v >= MIN_POSITIVE,
                         f"must be at least {MIN_POSITIVE:g}")
nonnegative_float = _parser(float, "a number", lambda v: v >= 0, "must be zero or more")
fraction = _parser(float, "a number", lambda v: 0 <= v <= 1, "must be from 0 to 1")


def at_most(most: int) -> Callable[[str], int]:
    """A parser of whole numbers from 1 to ``most``."""

    def parse(s: str) -> int:
        v = positive_int(s)
        if v > most:
            raise argparse.ArgumentTypeError(f"must be at most {most}, got {v}")
        return v

    return parse


def _base_type(annotation: Any) -> Any:
    """``int | None`` -> int; anything else as is."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


_PARSERS: dict[Any, Callable[[str], Any]] = {
    int: whole_number,
    float: lambda s: _number(s, float, "a number"),
    str: str,
    Path: Path,
}


def add_flags(parser: argparse.ArgumentParser, title: str, cls: type, dest_prefix: str) -> None:
    """One argument group ``title`` with a flag per :func:`option` field of ``cls``. Values land
    in ``dest_prefix + field`` only when given (the dataclass holds the defaults)."""
    hints = typing.get_type_hints(cls)
    group = parser.add_argument_group(title)
    for flag, f in flags(cls).items():
        meta = f.metadata[_META]
        typ = _base_type(hints[f.name])
        shown = "" if f.default in (None, False, "") else f" (default: {f.default})"
        kw: dict[str, Any] = {"dest": dest_prefix + f.name, "default": argparse.SUPPRESS,
                              "help": meta["help"] + shown}
        if typ is bool:
            kw["action"] = "store_true"
        else:
            parse = meta["parse"] or _PARSERS.get(typ)
            if parse is None:
                raise TypeError(f"{cls.__name__}.{f.name}: no parser for {typ!r} (give parse=)")
            kw.update(type=parse, choices=meta["choices"],
                      metavar=meta["metavar"] or (None if meta["choices"] else f.name.upper()))
        group.add_argument(flag, **kw)


def given(ns: argparse.Namespace, dest_prefix: str) -> dict[str, Any]:
    """The values of the flags given on the command line under ``dest_prefix``."""
    return {k.removeprefix(dest_prefix): v for k, v in vars(ns).items()
            if k.startswith(dest_prefix)}


def build(cls: type[O], values: Mapping[str, Any], owner: str) -> O:
    """``cls(**values)``, refusing a key that is not one of its fields in one line."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - names)
    if unknown:
        raise UsageError(f"{owner} has no option {unknown[0]!r} (its options: "
                         f"{', '.join(sorted(names))})")
    return cls(**values)
