"""Network faults on stores reached over TCP: the fault proxy (:mod:`._proxy`) between the
workers' client and the store, and nftables partitions (:mod:`._nft`).

The proxy is started after the store is set up (its endpoint known) and before clients open: the
store's ``set_client_endpoint(host, port)`` points the workers at it, while the store's own
administration keeps its direct line.
"""

from __future__ import annotations

import random
from typing import Any

from ..harness import Managed, Redirectable, Store
from ._base import BaseFault, NemesisOptions, Unsupported
from ._nft import NftPartition, nft_unavailable
from ._proxy import FaultProxy

PROXY_KEY = "proxy"


def local_endpoint(store: Store) -> Redirectable:
    """``store`` as one with a local endpoint (known now, or once its own server is started);
    Unsupported, saying why, when it has none."""
    if not isinstance(store, Redirectable):
        raise Unsupported(f"store {store.name!r} cannot route its clients through a proxy")
    if isinstance(store, Managed) or store.endpoint is not None:
        return store
    raise Unsupported(f"store {store.name!r} has no local endpoint to put the fault proxy in "
                      "front of (against a cloud endpoint use client-path faults: throttle, "
                      "client-timeout, cancel)")


def link_name(store: Store) -> str:
    """How fault records name the store's end of the link."""
    return store.process_name if isinstance(store, Managed) else store.name


class ProxyResource:
    """The run's fault proxy, shared by every proxy fault."""

    def __init__(self, store: Redirectable, seed: int) -> None:
        self.store = store
        self.seed = seed
        self.proxy: FaultProxy | None = None

    async def setup(self) -> None:
        ep = self.store.endpoint
        if ep is None:
            raise RuntimeError("the store has no endpoint after setup")
        self.proxy = FaultProxy(ep, seed=self.seed)
        host, port = await self.proxy.start()
        self.store.set_client_endpoint(host, port)

    async def teardown(self) -> None:
        if self.proxy is not None:
            await self.proxy.stop()
            self.proxy = None

    def get(self) -> FaultProxy:
        if self.proxy is None:
            raise RuntimeError("the fault proxy is not running")
        return self.proxy


def proxy_resource(store: Store, options: NemesisOptions,
                   shared: dict[str, Any]) -> ProxyResource:
    target = local_endpoint(store)
    res = shared.get(PROXY_KEY)
    if res is None:
        res = shared[PROXY_KEY] = ProxyResource(target, options.seed)
    return res


class _ProxyFault(BaseFault):

    def __init__(self, store: Store, options: NemesisOptions, shared: dict[str, Any]) -> None:
        self.store = store
        self.options = options
        self.res = proxy_resource(store, options, shared)

    def _link(self) -> str:
        return f"client<->{link_name(self.store)}"

    def stop_value(self) -> Any:
        return {"healed": [self._link()]}


class ProxyLatency(_ProxyFault):
    name = "latency"

    async def start(self, rng: random.Random) -> Any:
        ms = round(rng.uniform(*self.options.latency_ms), 1)
        jitter = round(ms * self.options.jitter, 1)
        self.res.get().set_latency(ms, jitter)
        return {"link": self._link(), "latency_ms": ms, "jitter_ms": jitter}

    def heal_now(self) -> None:
        if self.res.proxy is not None:
            self.res.proxy.set_latency(0.0)


class ProxyPartition(_ProxyFault):
    name = "partition"

    async def start(self, rng: random.Random) -> Any:
        self.res.get().partition()
        return {"isolated": [self._link()], "via": "proxy"}

    def heal_now(self) -> None:
        if self.res.proxy is not None:
            self.res.proxy.heal_partition()


class ProxyLostResponse(_ProxyFault):
    name = "lost-response"

    async def start(self, rng: random.Random) -> Any:
        self.res.get().set_lost_response(self.options.lost_response_p)
        return {"link": self._link(), "p": self.options.lost_response_p}

    def heal_now(self) -> None:
        if self.res.proxy is not None:
            self.res.proxy.set_lost_response(0.0)

    def stop_value(self) -> Any:
        return {**super().stop_value(), "replies_lost_so_far": self.res.get().stats.lost_responses}


class ProxyDuplicate(_ProxyFault):
    name = "duplicate"

    async def start(self, rng: random.Random) -> Any:
        o = self.options
        self.res.get().set_duplicate(o.duplicate_p, o.duplicate_delay_ms)
        return {"link": self._link(), "p": o.duplicate_p, "max_delay_ms": o.duplicate_delay_ms}

    def heal_now(self) -> None:
        if self.res.proxy is not None:
            self.res.proxy.set_duplicate(0.0)

    def stop_value(self) -> Any:
        return {**super().stop_value(), "copies_sent_so_far": self.res.get().stats.duplicates}


class ProxyReset(_ProxyFault):
    name = "reset"

    async def start(self, rng: random.Random) -> Any:
        self.res.get().set_reset(self.options.reset_p)
        return {"link": self._link(), "p": self.options.reset_p}

    def heal_now(self) -> None:
        if self.res.proxy is not None:
            self.res.proxy.set_reset(0.0)

    def stop_value(self) -> Any:
        return {**super().stop_value(), "resets_so_far": self.res.get().stats.resets}


class NftablesPartition:
    """Drop loopback traffic to and from the store's port (a kernel-level partition)."""

    name = "partition"

    def __init__(self, store: Store, options: NemesisOptions) -> None:
        self.store = local_endpoint(store)
        self.name_ = link_name(store)
        why = nft_unavailable()
        if why:
            raise Unsupported(f"--partition-via nftables: {why}")
        self.cut: NftPartition | None = None

    async def start(self, rng: random.Random) -> Any:
        ep = self.store.endpoint
        if ep is None:
            raise RuntimeError(f"store {self.name_!r} has no endpoint")
        self.cut = NftPartition([int(ep[1])])
        self.cut.apply()
        return {"isolated": [f"{self.name_}:{ep[1]}"],
                "via": "nftables", "table": self.cut.table}

    async def stop(self) -> Any:
        table = self.cut.table if self.cut else None
        self.heal_now()
        return {"healed": True, "table": table}

    def heal_now(self) -> None:
        if self.cut is not None:
            self.cut.heal()
            self.cut = None


PROXY_FAULTS: dict[str, type[_ProxyFault]] = {
    "latency": ProxyLatency,
    "partition": ProxyPartition,
    "lost-response": ProxyLostResponse,
    "duplicate": ProxyDuplicate,
    "reset": ProxyReset,
}
