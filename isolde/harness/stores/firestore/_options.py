"""The Firestore stores' options: the fields made with ``option`` are their flags."""

from __future__ import annotations

from dataclasses import dataclass

from ...._errors import UsageError
from ..._options import option, positive_float, positive_int


@dataclass
class FirestoreOptions:
    """Flags of every Firestore store."""

    collection: str | None = option(None, "root collection the run writes under (must start "
                                    "with isolde-; default: a new one)", metavar="NAME")
    timeout: float = option(4.0, "deadline of each request, in seconds", parse=positive_float)
    txn_attempts: int = option(4, "attempts of a transaction that ends ABORTED (a conflict, "
                               "a lock timeout)", parse=positive_int)
    stale_ms: float = option(1000.0, "bounded reads read this many ms in the past (read_time)",
                             parse=positive_float)
    default_read: str = "strong"  # the read mode of an op without a ``consistency`` field
    bank_mode: str = "txn"  # bank transfers without a ``bank_mode`` field: txn | rmw
    port: int | None = None  # the emulator's port (default: a free one)
    keep: bool = False  # keep the run's documents (the emulator loses them when it stops)


@dataclass
class CloudOptions(FirestoreOptions):
    """``--store firestore``: the real service (or a Firestore emulator you run)."""

    project: str | None = option(None, "Google Cloud project (else from your credentials)")
    database: str | None = option(None, "Firestore database id (default: (default))")
    emulator_host: str | None = option(None, "send the requests to a Firestore emulator at "
                                       "HOST:PORT instead (the same code path)",
                                       metavar="HOST:PORT")
    keep: bool = option(False, "keep the run's documents after the run")
    yes: bool = option(False, "accept the cloud audit's plan and estimated cost")

    def __post_init__(self) -> None:
        if self.emulator_host is not None:
            host, _, port = self.emulator_host.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise UsageError(f"--emulator-host {self.emulator_host!r}: expected HOST:PORT")
