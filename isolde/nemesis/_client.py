"""Client-path faults on the schedule: they flip the switches of a store's
:class:`isolde.harness.ClientFaults` (the :class:`isolde.harness.ClientFaultable` protocol); the
store injects them through its own SDK's hooks (see :mod:`isolde.harness._client_faults`)."""

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


class _ClientFault(BaseFault):

    def __init__(self, store: Store, options: NemesisOptions) -> None:
        self.faults = client_faults(store)
        self.options = options

    def stop_value(self) -> Any:
        return {"healed": ["client"], "throttled": self.faults.throttled,
                "timeouts": self.faults.timeouts, "cancelled": self.faults.cancelled}


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


CLIENT_FAULTS: dict[str, type[_ClientFault]] = {
    "throttle": Throttle,
    "client-timeout": ShortTimeout,
    "cancel": Cancel,
}
