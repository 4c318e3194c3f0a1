"""What ``isolde run`` and ``isolde stores`` get from the plugins: each store's and workload's
flags (from its options dataclass), their values, and the store listing. The command line itself
names no store, workload or checker."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from .._errors import UsageError
from .._plugins import PluginError
from ..workloads._base import COMMON, WORKLOADS, WorkloadOptions
from ._options import add_flags, build, flag_name, flags, for_needs, given
from ._plugin import Sizing, StoreSpec
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


def option_defaults(store: str, workload: str) -> dict[str, Any]:
    """The defaults of ``store``'s and ``workload``'s flags, by destination (``store:lag_ms``):
    what a reproducing command may leave out."""
    out: dict[str, Any] = {}
    wspec = WORKLOADS.get_or_refuse(workload)
    for dest, cls in ((STORE_DEST, store_spec(store).options), (WORKLOAD_DEST, wspec.options)):
        if cls is None:
            continue
        for f in flags(cls).values():
            if f.default is not dataclasses.MISSING:
                out[dest + f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                out[dest + f.name] = f.default_factory()
    return out


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


def _not_for(flag: str, side: str, name: str, owners: list[str]) -> str:
    return f"{flag} does not apply to {side} {name!r} (it applies to: {', '.join(owners)})"


def unrecognized(a: argparse.Namespace, rest: list[str]) -> str:
    """One line for arguments the parser did not take: a flag of another store or workload
    says whose it is."""
    command = vars(a).get("command") or ""
    flag = next((x.split("=", 1)[0] for x in rest if x.startswith("--")), None)
    if command == "run" and flag is not None:
        stores, _ = STORES.load_all()
        owners = [n for n, s in stores.items() if flag in flags(s.options)]
        if owners:
            return _not_for(flag, "store", a.store, owners)
        workloads, _ = WORKLOADS.load_all()
        owners = [n for n, w in workloads.items() if w.options and flag in flags(w.options)]
        if owners:
            return _not_for(flag, "workload", a.workload, owners)
    return f"isolde {command}: unrecognized arguments: {' '.join(rest)}".replace("  ", " ")


def check_applicable(a: argparse.Namespace, common: set[str]) -> None:
    """Refuse a flag the chosen store or workload would ignore (silently ignoring it would run
    another test than the one asked for): a common workload option (``common``: those given)
    the workload does not read, a store flag for transactions with a workload that has none,
    and ``--partition-via`` for a store that runs no server of its own."""
    wspec = WORKLOADS.get_or_refuse(a.workload)
    workloads, _ = WORKLOADS.load_all()
    for dest in sorted(common - wspec.reads):
        raise UsageError(_not_for(flag_name(dest), "workload", a.workload,
                                  [n for n, w in workloads.items() if dest in w.reads]))
    spec = store_spec(a.store)
    fields = {f.name: f for f in flags(spec.options).values()}
    for name in sorted(given(a, STORE_DEST)):
        needs = for_needs(fields[name])
        if needs is not None and not needs & wspec.needs:
            raise UsageError(_not_for(flag_name(name), "workload", a.workload,
                                      [n for n, w in workloads.items() if needs & w.needs]))
    if a.partition_via != "proxy" and spec.emulator is None:
        stores, _ = STORES.load_all()
        raise UsageError(_not_for("--partition-via", "store", a.store,
                                  [n for n, s in stores.items() if s.emulator is not None]))


def suggested_sizing(store: str, workload: str) -> Sizing:
    """What ``store`` suggests for ``workload`` in place of isolde's default sizes; nothing for
    a store not installed here (its flags are not offered either)."""
    try:
        return store_spec(store).sizing_for(workload)
    except UsageError:
        return Sizing()


def run_sizes(store: str, workload: str) -> dict[str, int]:
    """``isolde run``'s sizes when the command line gives none: ``concurrency``, and ``keys``
    for a workload that reads it -- the store's suggestion (:class:`Sizing`), else isolde's
    own (:class:`isolde.workloads.WorkloadOptions`)."""
    own, suggested = WorkloadOptions(), suggested_sizing(store, workload)
    out = {"concurrency": suggested.concurrency or own.concurrency}
    try:
        reads = WORKLOADS.get_or_refuse(workload).reads
    except UsageError:  # refused where the command line is read; its sizes do not matter
        reads = COMMON
    if "keys" in reads:
        out["keys"] = suggested.keys or own.keys
    return out


def workload_common(a: argparse.Namespace) -> dict[str, Any]:
    """The common workload options given on the command line, by field name."""
    return {k: v for k, v in vars(a).items() if k in COMMON}


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


def _sizes(z: Sizing) -> str:
    return ", ".join([*([f"{z.concurrency} clients"] if z.concurrency else []),
                      *([f"{z.keys} keys"] if z.keys else [])])


def _describe(spec: StoreSpec) -> list[str]:
    missing = spec.missing_sdk()
    sdk = ("SDK: " + (f"missing {', '.join(missing)} ({spec.sdk_hint})" if missing
                      else "installed")) if spec.sdk else "SDK: none needed"
    out = [f"{spec.name}: {spec.summary}",
           f"  capabilities: {', '.join(sorted(spec.capabilities))}",
           f"  read modes:   {', '.join(spec.read_modes)}",
           f"  faults:       {', '.join(spec.faults) or 'none'}",
           f"  {sdk}"]
    if spec.sizing:  # the defaults it puts in place of isolde's (a flag given still wins)
        out.append("  default sizes: " + "; ".join(
            f"{w}: {_sizes(z)}" for w, z in sorted(spec.sizing.items())))
    if spec.emulator is not None:
        out.append(f"  emulator {spec.emulator.name}: {spec.emulator.status()}")
    if spec.audited:
        out.append("  cloud: prints a plan with a cost bound and needs --yes")
    opts = ", ".join(flags(spec.options))
    out.append(f"  flags: {opts or 'none'}")
    return out
