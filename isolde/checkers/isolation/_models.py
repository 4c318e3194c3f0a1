"""Consistency models as the sets of anomalies they forbid, and the lattice that follows.

Model A is at least as strong as B when A forbids everything B forbids, so the lattice needs no
hand-written edges. A history rules out every model forbidding an anomaly it has; ``not`` lists
the weakest of those (Elle's ``:not``), ``also_not`` the rest.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..._errors import UsageError

# Anomalies that contradict the datatype itself; no model allows them.
INTEGRITY = frozenset({"duplicate-elements", "incompatible-order", "garbage-read", "internal",
                       "future-read"})


def _with_variants(*bases: str, process: bool = False, realtime: bool = False) -> frozenset[str]:
    out = set(bases)
    for b in bases:
        if process:
            out.add(f"{b}-process")
        if realtime:
            out.add(f"{b}-realtime")
    return frozenset(out)


_RU = INTEGRITY | {"G0"}
_RC = _RU | {"G1a", "G1b", "G1c", "dirty-update"}
_SI = _RC | {"G-single", "lost-update", "nonrepeatable-read"}
_SER = _SI | {"G2-item"}
_SI_CYCLES = ("G0", "G1c", "G-single")
_SER_CYCLES = (*_SI_CYCLES, "G2-item")

MODELS: dict[str, frozenset[str]] = {
    "read-uncommitted": frozenset(_RU),
    "read-committed": frozenset(_RC),
    "cursor-stability": frozenset(_RC | {"lost-update"}),
    "snapshot-isolation": frozenset(_SI),
    # Adya's PL-2.99: no item anti-dependency cycles; on item-only histories (all we check) it
    # forbids what serializable forbids.
    "repeatable-read": frozenset(_SER),
    "serializable": frozenset(_SER),
    "strong-session-snapshot-isolation": _SI | _with_variants(*_SI_CYCLES, process=True),
    "strong-snapshot-isolation": _SI | _with_variants(*_SI_CYCLES, process=True, realtime=True),
    "strong-session-serializable": _SER | _with_variants(*_SER_CYCLES, process=True),
    "strict-serializable": _SER | _with_variants(*_SER_CYCLES, process=True, realtime=True),
}
DEFAULT_MODELS = ("strict-serializable",)


def check_names(names: Iterable[str]) -> tuple[str, ...]:
    """The model names, or UsageError naming the unknown one."""
    out = tuple(names) or DEFAULT_MODELS
    for n in out:
        if n not in MODELS:
            raise UsageError(
                f"unknown consistency model {n!r} (known: {', '.join(sorted(MODELS))})"
            )
    return out


def forbidden(models: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for m in models:
        out |= MODELS[m]
    return frozenset(out)


def needs_process(models: Iterable[str]) -> bool:
    return any(t.endswith("-process") for t in forbidden(models))


def needs_realtime(models: Iterable[str]) -> bool:
    return any(t.endswith("-realtime") for t in forbidden(models))


def ruled_out(anomaly_types: Iterable[str]) -> tuple[list[str], list[str]]:
    """(not, also_not): the weakest models the anomalies rule out, and the stronger rest."""
    types = set(anomaly_types)
    out = {m for m, forb in MODELS.items() if forb & types}
    weakest = sorted(m for m in out if not any(MODELS[o] < MODELS[m] for o in out))
    return weakest, sorted(out - set(weakest))


def strongest_allowed(anomaly_types: Iterable[str], process: bool = True,
                      realtime: bool = True) -> list[str]:
    """The strongest models the anomalies do not rule out (what the history may satisfy),
    among those whose process / realtime orders were checked."""
    types = set(anomaly_types)
    ok = {m for m, forb in MODELS.items() if not forb & types
          and (process or not needs_process([m])) and (realtime or not needs_realtime([m]))}
    return sorted(m for m in ok if not any(MODELS[m] < MODELS[o] for o in ok))
