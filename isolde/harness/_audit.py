"""The cloud audit, for any store that costs money (the :class:`Audited` protocol): nothing is
sent before the store's plan, with an upper bound on requests and cost, is printed and accepted
with ``--yes``; the run is capped (``--max-ops``, else the store's default cap)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .._errors import UsageError
from ._scenario import Scenario
from ._store import Audited


def prepare_audit(scenario: Scenario, store: Audited, say: Callable[[str], None]) -> Scenario:
    """Print the plan; refuse it (exit 254, nothing sent) unless accepted. Returns the
    scenario, capped."""
    max_ops = scenario.max_ops or store.default_max_ops
    plan = store.audit_plan(scenario.workload, max_ops)
    for line in plan.lines:
        say(line)
    if not plan.accepted:
        raise UsageError("cloud audit not started: rerun with --yes to accept the plan above")
    return dataclasses.replace(scenario, max_ops=max_ops)
