"""A scenario's workload options are WorkloadOptions fields; a workload's own options go under
``options``. A key in neither place is refused before anything runs: dropped, it ran with the
default and never said so (a stream test's ``max_writes_per_key`` did, for a whole milestone)."""

from __future__ import annotations

import pytest

from isolde._errors import UsageError
from isolde.harness import Scenario, prepare_scenario


def test_a_workload_option_outside_options_is_refused() -> None:
    s = Scenario(workload="stream", workload_options={"keys": 2, "max_writes_per_key": 3})
    with pytest.raises(UsageError, match="workload_options max_writes_per_key: not one of"):
        prepare_scenario(s)


def test_the_same_option_under_options_reaches_the_workload() -> None:
    s = Scenario(workload="stream",
                 workload_options={"keys": 2, "options": {"max_writes_per_key": 3}})
    w = prepare_scenario(s).workload
    assert w.options.keys == 2 and w.max_writes == 3  # type: ignore[attr-defined]
