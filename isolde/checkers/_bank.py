"""The ``bank`` checker: every ok read of all accounts must show the known total, no negative
balance and every account.

The total and the accounts come from the checker options (the bank workload passes them), else
from the history's ok ``init`` op, else from the first ok read (then only changes of the total
are caught). Accounts are compared by their string form, since JSON turns integer map keys into
strings. The total of every read over time is kept in ``totals`` ([seconds, total] pairs) for
plotting.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .._errors import BadInput
from ..histories import INVOKE, NEMESIS, OK, History
from ._base import CheckConfig
from ._result import UNKNOWN, Anomaly, Result, Validity
from ._values import show_value

MAX_EXAMPLES = 20  # rendered anomalies per type; all are counted


class BankChecker:
    name = "bank"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config or CheckConfig()

    def check(self, history: History) -> Result:
        opts = self.config.options
        total: Any = opts.get("total")
        accounts: Any = opts.get("accounts")
        source = "options" if total is not None else None
        negative_ok = bool(opts.get("negative_balances", False))
        types, procs, fs, values, times = (history.types, history.processes, history.fs,
                                           history.values, history.times)
        reads: list[int] = []
        transfers: Counter[str] = Counter()
        for i in range(len(history)):
            if procs[i] == NEMESIS or types[i] == INVOKE:
                continue
            f = fs[i]
            if f == "transfer":
                transfers[("invoke", "ok", "fail", "info")[types[i]]] += 1
            elif types[i] == OK and f == "init":
                _check_accounts(values[i], f, i)
                if total is None:
                    total, source = sum(_balances(values[i])), "init"
                if accounts is None:
                    accounts = list(values[i])
            elif types[i] == OK and f == "read":
                _check_accounts(values[i], f, i)
                reads.append(i)
        if total is None and reads:
            total, source = sum(_balances(values[reads[0]])), "first read"
        if accounts is None and reads:
            accounts = sorted({str(a) for i in reads for a in values[i]})
        want = sorted(str(a) for a in accounts or ())
        found: list[Anomaly] = []
        counts: Counter[str] = Counter()
        series: list[list[float]] = []
        t0 = times[0] if len(history) else 0
        bad = 0
        for i in reads:
            before = sum(counts.values())
            v = {str(a): b for a, b in values[i].items()}
            s = sum(_balances(v))
            series.append([round((times[i] - t0) / 1e9, 6), s])
            missing = [a for a in want if v.get(a) is None]
            if missing:
                self._add(found, counts, Anomaly("missing-account", (i,),
                          f"{history.cite(i)} read {show_value(v)}, which lacks account(s) "
                          f"{', '.join(missing)}",
                          {"missing": missing, "value": v}))
            neg = {a: b for a, b in v.items() if isinstance(b, (int, float)) and b < 0}
            if neg and not negative_ok:
                self._add(found, counts, Anomaly("negative-value", (i,),
                          f"{history.cite(i)} read negative balance(s) {show_value(neg)}",
                          {"negative": neg, "value": v}))
            if total is not None and s != total:
                self._add(found, counts, Anomaly("wrong-total", (i,),
                          f"{history.cite(i)} read balances summing to {s}, not the total "
                          f"{total}: {show_value(v)}",
                          {"total": s, "expected": total, "value": v}))
            bad += sum(counts.values()) > before
        valid: Validity = False if counts else (True if reads else UNKNOWN)
        data: dict[str, Any] = {
            "total": total, "total_source": source, "accounts": len(want), "reads": len(reads),
            "bad_reads": bad, "anomaly_counts": dict(counts),
            "transfers": dict(transfers), "totals": series,
        }
        return Result(valid, found, data)

    @staticmethod
    def _add(found: list[Anomaly], counts: Counter[str], a: Anomaly) -> None:
        counts[a.type] += 1
        if counts[a.type] <= MAX_EXAMPLES:
            found.append(a)


def _check_accounts(v: Any, f: str, i: int) -> None:
    """An ok init or read holds a map of account to balance (a number, or nil for an account
    not read); anything else would be judged as if it were one, so it is refused."""
    if not isinstance(v, dict):
        raise BadInput(f"a bank {f}'s value must be a map {{account: balance}}, got "
                       f"{show_value(v)}", f"op {i}")
    for a, b in v.items():
        if b is not None and (isinstance(b, bool) or not isinstance(b, (int, float))):
            raise BadInput(f"a bank {f}'s balance of account {show_value(a)} must be a number, "
                           f"got {show_value(b)}", f"op {i}")


def _balances(v: dict[Any, Any]) -> list[Any]:
    return [b for b in v.values() if isinstance(b, (int, float))]
