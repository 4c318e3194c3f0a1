"""The outbox workload: bank transfers that each publish an outbox record.

The transactional outbox: a service that changes its data and must tell the world (a queue, a
projection) writes the message into an ``outbox`` in the same transaction as the change, and a
relay publishes it later; the message exists if and only if the change committed. Op contract
(a store with the ``outbox`` capability serves these, on top of the bank's ``init`` and
``read``):

- ``transfer`` value ``{"from", "to", "amount", "id"}`` (``id`` unique in the run), extra
  ``outbox``: ``txn`` writes the balance changes and the record ``{"id", "from", "to",
  "amount"}`` in one transaction (DynamoDB TransactWriteItems, a Firestore transaction, the
  memory store's transaction engine); ``separate`` is the control -- the dual write the pattern
  exists to avoid: the transfer's transaction, then the record in a separate request, whose
  error is only noted (``outbox_error``) since the transfer did commit. Extra ``token``: the
  transfer's idempotency token (DynamoDB's ClientRequestToken; the memory store applies a
  repeated request once).
- ``read-outbox`` value the run's id prefix -> ok, the list of every record in the outbox,
  read consistently; run once after the load. Transfer ids are the prefix and a count: a soak's
  segments share one store, and each segment's checker judges only its own records.

The ``outbox`` checker judges the records against the transfers; the ``bank`` checker the
balances, as for the bank workload.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..harness._generators import Context, EachWorker, Generator, Ops, OpSpec
from ..harness._options import option
from ._base import WorkloadOptions, WorkloadSpec
from .bank import AccountOptions, BankWorkload

OUTBOX_MODES = ("txn", "separate")
READ_F = "read-outbox"


@dataclass(frozen=True)
class OutboxOptions(AccountOptions):
    outbox_mode: str = option("txn", "the record in the transfer's transaction, or in a "
                              "separate request (the dual-write control that must fail)",
                              choices=OUTBOX_MODES)


class OutboxWorkload(BankWorkload):
    name = "outbox"
    op_kind = "outbox"
    needs = frozenset({"bank", "outbox"})
    checkers: tuple[str, ...] = ("bank", "outbox", "stats")

    def __init__(self, options: WorkloadOptions) -> None:
        super().__init__(options)
        self.outbox_mode = str(options.options.get("outbox_mode", "txn"))
        self.txn_items = max(self.n, 3)  # a read: every account; a transfer: two and a record
        self.ids = itertools.count()
        self.prefix = f"t{options.first_key}-"  # a soak gives each segment its own first_key

    def _transfer(self, ctx: Context) -> OpSpec:
        spec = super()._transfer(ctx)
        tid = f"{self.prefix}{next(self.ids)}"
        return OpSpec(spec.f, {**spec.value, "id": tid},
                      {**spec.extra, "outbox": self.outbox_mode, "token": tid})

    def final_generator(self) -> Generator | None:
        # Every worker reads the balances; one also reads the whole outbox, once the load and
        # the faults are over.
        read_outbox = OpSpec(READ_F, self.prefix)
        return EachWorker(lambda w: Ops([self._read(), *([read_outbox] if w == 0 else [])]))


SPEC = WorkloadSpec("outbox", "bank transfers that each publish an outbox record, in the "
                    "transfer's transaction (or, as the control, in a separate request)",
                    OutboxWorkload, OutboxOptions, reads=frozenset(), needs=OutboxWorkload.needs)
