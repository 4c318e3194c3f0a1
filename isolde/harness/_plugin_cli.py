"""What ``isolde run`` and ``isolde stores`` get from the plugins: each store's and workload's
flags (from its options dataclass), their values, and the store listing. The command line itself
names no store, workload or checker."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from .._plugins import PluginError
from ..workloads._base import WORKLOADS
from ._options import add_flags, build, flags, given
from ._plugin import StoreSpec
from .stores import STORES, store_spec

STORE_DEST = "store:"
WORKLOAD_DEST = "workload:"


def plugin_flags(parser: argparse.ArgumentParser, store: str, workload: str) -> None:
    """Add the flags of ``store`` and of ``workload``, each in its own group."""
    spec = store_spec(store)
    wspec = WORKLOADS.get_or_refuse(workload)
    _add(parser, f"store {store}: {spec.summary}", spec.options, STORE_DEST, f"store {store!r}")
    if wspec.options is not None:
        _add(parser, f"workload {workload}: {wspec.summary}", wspec.options, WORKLOAD_DEST,
             f"workload {workload!r}")


def _add(parser: argparse.ArgumentParser, title: str, cls: type, dest: str, owner: str) -> None:
    try:
        add_flags(parser, title, cls, dest)
    except (argparse.ArgumentError, TypeError) as e:  # e.g. a flag isolde itself defines
        raise PluginError(f"{owner} declares a flag it cannot have: {e}") from None


def store_options(a: argparse.Namespace) -> dict[str, Any]:
    """Every option of the chosen store (given on the command line or defaulted), checked."""
    spec = store_spec(a.store)
    return dataclasses.asdict(build(spec.options, given(a, STORE_DEST), f"store {a.store!r}"))


def workload_options(a: argparse.Namespace) -> dict[str, Any]:
    """Every option of the chosen workload's own (given or defaulted), checked."""
    spec = WORKLOADS.get_or_refuse(a.workload)
    if spec.options is None:
        return {}
    return dataclasses.asdict(build(spec.options, given(a, WORKLOAD_DEST),
                                    f"workload {a.workload!r}"))


def unrecognized(a: argparse.Namespace, rest: list[str]) -> str:
    """One line for arguments the parser did not take: a flag of another store or workload
    says whose it is."""
    command = getattr(a, "command", "")
    flag = next((x.split("=", 1)[0] for x in rest if x.startswith("--")), None)
    if command == "run" and flag is not None:
        stores, _ = STORES.load_all()
        owners = [n for n, s in stores.items() if flag in flags(s.options)]
        if owners:
            return (f"isolde run: {flag} is not an option of store {a.store!r} "
                    f"(it is an option of: {', '.join(owners)})")
        workloads, _ = WORKLOADS.load_all()
        owners = [n for n, w in workloads.items() if w.options and flag in flags(w.options)]
        if owners:
            return (f"isolde run: {flag} is not an option of workload {a.workload!r} "
                    f"(it is an option of: {', '.join(owners)})")
    return f"isolde {command}: unrecognized arguments: {' '.join(rest)}".replace("  ", " ")


def describe_stores() -> list[str]:
    """``isolde stores``: every store, what it can do and whether it can run here; a store
    whose plugin is broken is one line saying so."""
    specs, broken = STORES.load_all()
    lines: list[str] = []
    for name in sorted({*specs, *broken}):
        if name in broken:
            lines += [f"{name}: BROKEN: {broken[name]}", ""]
            continue
        lines += [*_describe(specs[name]), ""]
    if not lines:
        lines = [STORES.known()]
    return lines[:-1] if lines and lines[-1] == "" else lines


def _describe(spec: StoreSpec) -> list[str]:
    missing = spec.missing_sdk()
    sdk = ("SDK: " + (f"missing {', '.join(missing)} ({spec.sdk_hint})" if missing
                      else "installed")) if spec.sdk else "SDK: none needed"
    out = [f"{spec.name}: {spec.summary}",
           f"  capabilities: {', '.join(sorted(spec.capabilities))}",
           f"  read modes:   {', '.join(spec.read_modes)}",
           f"  faults:       {', '.join(spec.faults) or 'none'}",
           f"  {sdk}"]
    if spec.emulator is not None:
        out.append(f"  emulator {spec.emulator.name}: {spec.emulator.status()}")
    if spec.audited:
        out.append("  cloud: prints a plan with a cost bound and needs --yes")
    opts = ", ".join(flags(spec.options))
    out.append(f"  flags: {opts or 'none'}")
    return out
