"""The public API is what __all__ says; this pins it so changes are deliberate."""

import isolde

EXPECTED = [
    "Anomaly", "BadInput", "CheckConfig", "Checker", "History", "IsoldeError", "Op", "Result",
    "Scenario", "Store", "UsageError", "__version__", "compose", "load_history", "make_checker",
    "run_checkers", "run_scenario",
]


def test_all_is_pinned_and_sorted() -> None:
    assert isolde.__all__ == EXPECTED
    assert sorted(isolde.__all__) == isolde.__all__
    for name in isolde.__all__:
        assert hasattr(isolde, name)
