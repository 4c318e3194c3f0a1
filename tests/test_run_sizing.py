"""A store's suggested sizes (:class:`isolde.harness.Sizing`): ``isolde run`` without a size flag
takes the store's suggestion for the workload, a size given on the command line always wins, the
report's command reproduces either, and ``--help`` says which default applies and whose it is.
(The Firestore emulator store suggests sizes: its transactions lock pessimistically.)"""

from __future__ import annotations

import re

import pytest

from isolde.cli import parse_args, run_defaults, run_scenario_from_args
from isolde.harness import Sizing, StoreSpec
from isolde.workloads import WorkloadOptions

from .conftest import run_cli
from .test_run_flags import round_trip

pytest.importorskip("google.cloud.firestore", reason="pip install 'isolde[firestore]'")

STORE = "firestore-emulator"
OWN = WorkloadOptions()


def suggested(workload: str) -> Sizing:
    from isolde.harness.stores.firestore import FIRESTORE_EMULATOR_SPEC

    return FIRESTORE_EMULATOR_SPEC.sizing_for(workload)


def scenario(*argv: str) -> tuple[int, dict]:
    _, a = parse_args(["run", *argv])
    s = run_scenario_from_args(a)
    return s.concurrency, s.workload_options


def test_the_emulator_suggests_fewer_clients_for_transactions() -> None:
    for w in ("list-append", "bank"):
        assert (suggested(w).concurrency or OWN.concurrency) < OWN.concurrency, w


@pytest.mark.parametrize("workload", ["register", "list-append", "bank", "causal"])
def test_without_flags_the_store_suggestion_applies(workload: str) -> None:
    z = suggested(workload)
    concurrency, wopts = scenario("--store", STORE, "--workload", workload)
    assert concurrency == (z.concurrency or OWN.concurrency)
    if workload == "list-append":  # the workloads that read --keys
        assert wopts["keys"] == (z.keys or OWN.keys)


def test_a_size_given_wins_even_when_it_is_isoldes_own_default() -> None:
    concurrency, wopts = scenario("--store", STORE, "--workload", "list-append",
                                  "--concurrency", str(OWN.concurrency), "--keys", str(OWN.keys))
    assert (concurrency, wopts["keys"]) == (OWN.concurrency, OWN.keys)


def test_other_stores_keep_isoldes_defaults() -> None:
    assert scenario("--workload", "list-append")[0] == OWN.concurrency
    assert scenario("--store", "memory", "--workload", "list-append")[1]["keys"] == OWN.keys


def test_the_report_command_reproduces_suggested_and_given_sizes() -> None:
    bare = ["--store", STORE, "--workload", "list-append"]
    a, again, command = round_trip(bare)
    assert command == "isolde run " + " ".join(bare)  # the suggestion is the default
    assert run_scenario_from_args(again).concurrency == run_scenario_from_args(a).concurrency
    a, again, command = round_trip([*bare, "--concurrency", str(OWN.concurrency)])
    assert f"--concurrency {OWN.concurrency}" in command
    assert run_scenario_from_args(again).concurrency == OWN.concurrency
    assert run_defaults(STORE, "list-append")["concurrency"] == suggested(
        "list-append").concurrency


def test_help_states_the_default_that_applies_and_whose_it_is() -> None:
    r = run_cli("run", "--store", STORE, "--workload", "list-append", "--help")
    assert r.returncode == 0, r.stderr
    text = " ".join(re.sub(r"-\n\s+", "-", r.stdout).split())
    z = suggested("list-append")
    assert (f"(default: {z.concurrency}, what store {STORE} suggests for workload list-append; "
            f"isolde's own: {OWN.concurrency})") in text
    r = run_cli("run", "--help")
    assert f"(default: {OWN.concurrency})" in " ".join(r.stdout.split())


def test_isolde_stores_lists_the_suggested_sizes() -> None:
    from isolde.harness._plugin_cli import describe_stores

    z = suggested("list-append")
    assert any(line.startswith("  default sizes: ") and
               f"list-append: {z.concurrency} clients, {z.keys} keys" in line
               for line in describe_stores())


def test_a_sizing_must_be_positive() -> None:
    with pytest.raises(TypeError, match="positive"):
        Sizing(concurrency=0)
    spec = StoreSpec("s", "", Sizing, lambda o, c: None, frozenset(),  # type: ignore[arg-type,return-value]
                     sizing={"bank": Sizing(concurrency=2)})
    assert spec.sizing_for("bank").concurrency == 2 and spec.sizing_for("register") == Sizing()
