"""Faults for stores reached over the network: which implementation serves which fault name."""

from __future__ import annotations

from typing import Any

from ..harness import Store
from ._base import Fault, NemesisOptions, Unsupported
from ._client import CLIENT_FAULTS, CLIENT_WIRE_FAULTS, wire_faults
from ._network import PROXY_FAULTS, NftablesPartition
from ._process import Kill, Pause

NOT_REMOTE = {
    "lag-spike": "replication lag spikes are for the embedded store (memory)",
    "clock-skew": "clock skew is for the embedded store with --writers lww (a store reached "
                  "over the network stamps nothing with isolde's clock)",
}


def remote_fault(name: str, store: Store, options: NemesisOptions,
                 shared: dict[str, Any]) -> Fault:
    """The fault ``name`` bound to ``store``; Unsupported (with the reason) if it cannot be."""
    if name == "kill":
        return Kill(store, options)
    if name == "pause":
        return Pause(store, options)
    if name == "partition" and options.partition_via == "nftables":
        return NftablesPartition(store, options)
    if name in CLIENT_WIRE_FAULTS and wire_faults(store):
        return CLIENT_WIRE_FAULTS[name](store, options, shared)
    if name in PROXY_FAULTS:
        return PROXY_FAULTS[name](store, options, shared)
    if name in CLIENT_FAULTS:
        return CLIENT_FAULTS[name](store, options, shared)
    raise Unsupported(NOT_REMOTE.get(name, f"no such fault {name!r}"))
