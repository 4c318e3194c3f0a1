"""Firestore stores: ``firestore-emulator`` (Google's Cloud Firestore emulator, started by
isolde) and ``firestore`` (the real service: the cloud audit). google-cloud-firestore is imported
only when a store sets up. Each store is declared by its :class:`isolde.harness.StoreSpec`,
registered under the ``isolde.stores`` entry point group."""

from __future__ import annotations

from ..._plugin import Sizing, StoreSpec
from .._sdk import builder
from ._cloud import FirestoreStore
from ._cost import PRICES, Usage, estimate
from ._emulator import FIRESTORE_EMULATOR, FirestoreEmulatorSpec
from ._errors import STATUS, classify
from ._options import CloudOptions, FirestoreOptions
from ._store import CAPABILITIES, FirestoreEmulatorStore

# A strong read reads the latest version; a bounded one reads at read_time = now - stale_ms.
READ_MODES = ("strong", "bounded")
SDK = ("google.cloud.firestore",)
SDK_HINT = "pip install 'isolde[firestore]'"
# Through the fault proxy, at the TCP level (gRPC's HTTP/2 goes through it as raw bytes): needs a
# local endpoint, the emulator's.
_PROXY = ("partition", "latency", "reset")
# Client-path faults, by gRPC interceptors (lost-response and duplicate too: they need whole
# requests and replies, which the proxy frames for HTTP/1.1 only).
_CLIENT = ("throttle", "client-timeout", "cancel", "unavailable", "lost-response", "duplicate")
# The emulator locks pessimistically: a transaction that wants a document another one holds waits
# ~2 s, then aborts. At isolde's default 10 clients on 5 keys (the hottest taking half the picks)
# a third to a half of list-append and bank ops end `info` (the 5 s op timeout passes during
# those waits); at these sizes 90-96 % end `ok` (measured over three seeds: README, Firestore).
# Register's CAS is a precondition and causal writes single documents: neither waits on a lock.
_TXN_SIZING = Sizing(concurrency=3, keys=10)
_SIZING = {"list-append": _TXN_SIZING, "rw-register": _TXN_SIZING,
                   "bank": Sizing(concurrency=4), "outbox": Sizing(concurrency=4)}

FIRESTORE_EMULATOR_SPEC = StoreSpec(
    name="firestore-emulator", summary="Google's Cloud Firestore emulator, started by isolde "
    "(in memory)", options=FirestoreOptions, build=builder(FirestoreEmulatorStore),
    capabilities=CAPABILITIES, read_modes=READ_MODES, faults=("kill", "pause", *_PROXY, *_CLIENT),
    sdk=SDK, sdk_hint=SDK_HINT, emulator=FIRESTORE_EMULATOR, sizing=_SIZING)
FIRESTORE = StoreSpec(
    name="firestore", summary="Google Cloud Firestore (or --emulator-host): the cloud audit, "
    "with a plan and a cost bound", options=CloudOptions, build=builder(FirestoreStore),
    capabilities=CAPABILITIES, read_modes=READ_MODES, faults=(*_PROXY, *_CLIENT), sdk=SDK,
    sdk_hint=SDK_HINT, audited=True)

__all__ = [
    "CAPABILITIES",
    "FIRESTORE",
    "FIRESTORE_EMULATOR",
    "FIRESTORE_EMULATOR_SPEC",
    "PRICES",
    "READ_MODES",
    "STATUS",
    "CloudOptions",
    "FirestoreEmulatorSpec",
    "FirestoreEmulatorStore",
    "FirestoreOptions",
    "FirestoreStore",
    "Usage",
    "classify",
    "estimate",
]
