"""A failed CAS is evidence for the linearizability checker only when its precondition failed:
one refused before reaching the store (as under a kill or a partition) says nothing, and one
that does not say why is evidence only under ``--failed-cas evidence``."""

from __future__ import annotations

from isolde.checkers import make_checker
from isolde.checkers._base import CheckConfig
from isolde.histories import History, Op


def _history(error: str | None) -> History:
    return History([
        Op(0, 0, "invoke", 0, "cas", [1, [None, 1]]),
        Op(1, 1, "fail", 0, "cas", [1, [None, 1]], error),
        Op(2, 2, "invoke", 0, "read", [1, None]),
        Op(3, 3, "ok", 0, "read", [1, None]),
    ])


def _valid(h: History, failed_cas: str = "auto") -> object:
    cfg = CheckConfig(model="multi-register", failed_cas=failed_cas)
    return make_checker("linearizable", cfg).check(h).valid


def test_a_cas_refused_before_the_store_is_no_evidence() -> None:
    assert _valid(_history("connect-failed")) is True
    assert _valid(_history("throttled")) is True


def test_a_cas_whose_precondition_failed_is_evidence() -> None:
    # The key was never written, so cas [nil -> 1] cannot have failed on its precondition.
    assert _valid(_history("precondition-failed")) is False
    assert _valid(_history("precondition-failed"), "ignore") is True


def test_a_cas_failed_without_a_reason_is_evidence_only_when_asked() -> None:
    assert _valid(_history(None)) is True  # Knossos: a failed op did not happen
    assert _valid(_history(None), "evidence") is False  # Porcupine: its compare failed
    assert _valid(_history("connect-failed"), "evidence") is True  # a reason given, not that
