"""Client-path faults on the schedule: they flip the switches of a store's
:class:`isolde.harness.ClientFaults` (the :class:`isolde.harness.ClientFaultable` protocol); the
store injects them through its own SDK's hooks (see :mod:`isolde.harness._client_faults`).

``unavailable``, and ``lost-response`` and ``duplicate`` at the client, need a hook that sees each
request and its reply (``ClientFaults.wire``): a store speaking gRPC over HTTP/2 (Firestore) takes
lost-response and duplicate this way, as the fault proxy frames HTTP/1.1 requests only.

A nemesis with any of them schedules them (:class:`ClientHooks`, set up before the store's
clients open): a store may open its clients without the hooks otherwise, as they cost on every
request even while no fault is on."""

from __future__ import annotations

import random
from typing import Any

from ..harness import ClientFaultable, ClientFaults, Store
from ._base import BaseFault, NemesisOptions, Unsupported


def client_faults(store: Store) -> ClientFaults:
    if not isinstance(store, ClientFaultable):
        raise Unsupported(f"store {store.name!r} has no SDK client to inject client-path faults "
                          "into")
    return store.client_faults


def wire_faults(store: Store) -> bool:
    """Whether ``store``'s client hook takes the faults of a request's reply."""
    return isinstance(store, ClientFaultable) and store.client_faults.wire


HOOKS_KEY = "client-hooks"


class ClientHooks:
    """The run's client faults, shared by every client fault: setting up says they will be
    switched on (:meth:`ClientFaults.schedule`), before the store's clients open."""

    def __init__(self, faults: ClientFaults) -> None:
        self.faults = faults

    async def setup(self) -> None:
        self.faults.schedule()

    async def teardown(self) -> None:
        return None


class _ClientFault(BaseFault):

    def __init__(self, store: Store, options: NemesisOptions, shared: dict[str, Any]) -> None:
        self.faults = client_faults(store)
        self.options = options
        shared.setdefault(HOOKS_KEY, ClientHooks(self.faults))

    def stop_value(self) -> Any:
        f = self.faults
        out = {"healed": ["client"], "throttled": f.throttled, "timeouts": f.timeouts,
               "cancelled": f.cancelled}
        if f.wire:
            out.update(unavailable=f.unavailable, replies_lost=f.lost, copies_sent=f.duplicated)
        return out


class _WireFault(_ClientFault):
    """A fault of a request's reply: only a hook that sees both can inject it."""

    def __init__(self, store: Store, options: NemesisOptions, shared: dict[str, Any]) -> None:
        super().__init__(store, options, shared)
        if not self.faults.wire:
            raise Unsupported(f"store {store.name!r}: its SDK hook sees requests, not replies")


class Throttle(_ClientFault):
    name = "throttle"

    async def start(self, rng: random.Random) -> Any:
        self.faults.throttle_p = self.options.throttle_p
        return {"target": "client", "p": self.options.throttle_p,
                "error": self.faults.throttle_error}

    def heal_now(self) -> None:
        self.faults.throttle_p = 0.0


class ShortTimeout(_ClientFault):
    name = "client-timeout"

    async def start(self, rng: random.Random) -> Any:
        self.faults.timeout_s = self.options.client_timeout_s
        return {"target": "client", "timeout_s": self.options.client_timeout_s}

    def heal_now(self) -> None:
        self.faults.timeout_s = None


class Cancel(_ClientFault):
    name = "cancel"

    async def start(self, rng: random.Random) -> Any:
        self.faults.cancel_p = self.options.cancel_p
        return {"target": "client", "p": self.options.cancel_p}

    def heal_now(self) -> None:
        self.faults.cancel_p = 0.0


class Unavailable(_WireFault):
    name = "unavailable"

    async def start(self, rng: random.Random) -> Any:
        self.faults.unavailable_p = self.options.unavailable_p
        return {"target": "client", "p": self.options.unavailable_p}

    def heal_now(self) -> None:
        self.faults.unavailable_p = 0.0


class ClientLostResponse(_WireFault):
    name = "lost-response"

    async def start(self, rng: random.Random) -> Any:
        self.faults.lost_p = self.options.lost_response_p
        return {"target": "client", "p": self.options.lost_response_p}

    def heal_now(self) -> None:
        self.faults.lost_p = 0.0


class ClientDuplicate(_WireFault):
    name = "duplicate"

    async def start(self, rng: random.Random) -> Any:
        o = self.options
        self.faults.duplicate_p = o.duplicate_p
        self.faults.duplicate_delay_s = o.duplicate_delay_ms / 1000
        return {"target": "client", "p": o.duplicate_p, "max_delay_ms": o.duplicate_delay_ms}

    def heal_now(self) -> None:
        self.faults.duplicate_p = 0.0


CLIENT_FAULTS: dict[str, type[_ClientFault]] = {
    "throttle": Throttle,
    "client-timeout": ShortTimeout,
    "cancel": Cancel,
    "unavailable": Unavailable,
}
# Faults the fault proxy injects too: at the client for a store whose hook takes them.
CLIENT_WIRE_FAULTS: dict[str, type[_ClientFault]] = {
    "lost-response": ClientLostResponse,
    "duplicate": ClientDuplicate,
}
