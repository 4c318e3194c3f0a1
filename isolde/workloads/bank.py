"""The bank workload: transfers between accounts whose total never changes.

Op contract (any store with the ``bank`` capability implements these three; the memory store's
are in :mod:`isolde.harness.stores._txn`):

- ``init`` value ``{account: balance}`` — run once by one worker before the load: create the
  accounts with these balances (their sum is the total).
- ``transfer`` value ``{"from": a, "to": b, "amount": n}``, extra ``bank_mode``: ``txn`` moves
  the money in one transaction (``fail`` with error ``insufficient-funds`` rather than make a
  balance negative); ``rmw`` is the control, a non-transactional read-modify-write (read both
  balances, then in a separate request write both), which loses or creates money under
  concurrency.
- ``read`` value ``{account: None, ...}`` -> ok ``{account: balance}``: every account in one
  snapshot (a transaction); a missing account is left out.

Accounts are integers ``0..--accounts-1``; ``--total`` is spread evenly over them. The ``bank``
checker judges the reads against the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._errors import UsageError
from ..harness._generators import Context, EachWorker, FnGen, Generator, Mix, Once, Ops, OpSpec
from ..harness._options import at_most, option, positive_int
from ._base import WorkloadOptions, WorkloadSpec

BANK_MODES = ("txn", "rmw")
MAX_TRANSFER = 5
MAX_ACCOUNTS = 1000  # every read reads them all, in one snapshot


@dataclass(frozen=True)
class AccountOptions:
    """The accounts, shared by the workloads that move money between them."""

    accounts: int = option(5, f"number of accounts, at most {MAX_ACCOUNTS}",
                           parse=at_most(MAX_ACCOUNTS))
    total: int = option(100, "total balance, spread evenly over the accounts",
                        parse=positive_int)


@dataclass(frozen=True)
class BankOptions(AccountOptions):
    bank_mode: str = option("txn", "transfers as transactions, or as a non-transactional "
                            "read-modify-write control that must fail", choices=BANK_MODES)


class BankWorkload:
    name = "bank"
    op_kind = "bank"
    needs = frozenset({"bank"})
    checkers: tuple[str, ...] = ("bank", "stats")

    def __init__(self, options: WorkloadOptions) -> None:
        o = options.options
        self.n = int(o.get("accounts", 5))
        self.total = int(o.get("total", 100))
        self.mode = str(o.get("bank_mode", "txn"))
        if self.mode not in BANK_MODES:
            raise UsageError(f"unknown --bank-mode {self.mode!r} (known: txn, rmw)")
        if self.n < 2:
            raise UsageError("--accounts must be at least 2 for transfers")
        self.accounts = list(range(self.n))
        self.txn_items = self.n  # a read reads every account in one transaction

    def initial(self) -> dict[int, int]:
        base, extra = divmod(self.total, self.n)
        return {a: base + (1 if a < extra else 0) for a in self.accounts}

    def _transfer(self, ctx: Context) -> OpSpec:
        src, dst = ctx.rng.sample(self.accounts, 2)
        return OpSpec("transfer", {"from": src, "to": dst,
                                   "amount": ctx.rng.randint(1, MAX_TRANSFER)},
                      {"bank_mode": self.mode})

    def _read(self, ctx: Context | None = None) -> OpSpec:
        return OpSpec("read", dict.fromkeys(self.accounts))

    def setup_generator(self) -> Generator | None:
        return Ops([OpSpec("init", self.initial())])

    def generator(self) -> Generator:
        return Mix([FnGen(self._transfer), FnGen(self._read)], [0.6, 0.4])

    def final_generator(self) -> Generator | None:
        return EachWorker(lambda w: Once(self._read()))

    def checker_options(self) -> dict[str, Any]:
        return {"total": self.total, "accounts": self.accounts}


SPEC = WorkloadSpec("bank", "transfers between accounts whose total never changes",
                    BankWorkload, BankOptions, reads=frozenset(), needs=BankWorkload.needs)
