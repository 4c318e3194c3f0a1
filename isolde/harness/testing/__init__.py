"""Store conformance suite: what every isolde store must do, as a pytest mixin.

Use it from a test module in a few lines::

    from isolde.harness.testing import StoreConformance

    class TestMyStoreConformance(StoreConformance):
        def make_store(self):
            return MyStore(...)

Each ``test_*`` method builds a fresh store, runs ``setup``, one group of checks, ``teardown``,
and then checks nothing was left behind: no process it started still exists (alive or unreaped),
and, when it started its own server (``Managed``), nothing answers at its endpoint. Checks
a store's ``capabilities`` do not claim are skipped (transactions, bank ops, outbox
transfers, process control).
The checks are also plain async functions (``CHECKS``) for use without pytest.
"""

from ._conformance import (
    CHECKS,
    ConformanceError,
    StoreConformance,
    check_bank,
    check_cas,
    check_errors,
    check_outbox,
    check_process_control,
    check_register,
    check_transactions,
    leftovers,
    run_check,
)

__all__ = [
    "CHECKS",
    "ConformanceError",
    "StoreConformance",
    "check_bank",
    "check_cas",
    "check_errors",
    "check_outbox",
    "check_process_control",
    "check_register",
    "check_transactions",
    "leftovers",
    "run_check",
]
