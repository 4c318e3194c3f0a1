"""Every ``isolde run`` flag round-trips through the report's command line: a run's flags, put
into scenario.json as the run puts them, rebuilt into a command (``reproduce_command`` with the
command line's own ``run_flags``), parse back to the same options. The flag table is the
command line's (``isolde.cli.SCENARIO_PATHS``): a new flag missing there fails here."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from typing import Any

import orjson
import pytest

from isolde._errors import UsageError
from isolde.cli import (
    NOT_IN_SCENARIO,
    SCENARIO_PATHS,
    parse_args,
    run_flags,
    run_scenario_from_args,
)
from isolde.harness import STORES
from isolde.report.html._command import reproduce_command
from isolde.workloads import WORKLOADS

# A value other than the default for every core flag kept in scenario.json.
CORE = {
    "--workload": "register", "--nemesis": "partition,latency", "--nemesis-interval": "1.5",
    "--time-limit": "2.5", "--concurrency": "4", "--rate": "50", "--max-ops": "300",
    "--seed": "7", "--op-timeout": "0.5", "--keys": "3", "--ops-per-key": "20",
    "--read-consistency": "eventual", "--checker": "linearizable,stats",
    "--model": "cas-register", "--failed-cas": "evidence", "--initial": "0",
    "--nil-reads": "unconstrained", "--check-time-limit": "none", "--memory-limit": "2G",
    "--consistency-models": "serializable", "--staleness-sla": "p99=500ms",
    "--stream-lag-sla": "max=2s", "--details": None,
}


def _argv(flags: dict[str, str | None]) -> list[str]:
    return [w for flag, value in flags.items() for w in (flag, value) if w is not None]


def round_trip(argv: list[str]) -> tuple[argparse.Namespace, argparse.Namespace, str]:
    """The options of ``isolde run ARGV``, those of the command its report shows, and that."""
    _, a = parse_args(["run", *argv])
    scenario = orjson.loads(orjson.dumps(run_scenario_from_args(a).to_json(),
                                         option=orjson.OPT_NON_STR_KEYS))  # as scenario.json
    command = reproduce_command(scenario, run_flags(a.store, a.workload))
    words = shlex.split(command)
    assert words[:2] == ["isolde", "run"]
    _, again = parse_args(["run", *words[2:]])
    return a, again, command


def _same_run(a: argparse.Namespace, again: argparse.Namespace) -> None:
    kept = {k: v for k, v in vars(a).items() if k not in NOT_IN_SCENARIO}
    assert {k: v for k, v in vars(again).items() if k not in NOT_IN_SCENARIO} == kept


def test_every_core_flag_round_trips() -> None:
    given = {*(f.removeprefix("--").replace("-", "_") for f in CORE), "partition_via", "store"}
    assert given == set(SCENARIO_PATHS), "a core flag without a value here"
    a, again, command = round_trip(_argv(CORE))
    _same_run(a, again)
    assert "--details" in command and "--check-time-limit none" in command


def test_partition_via_and_a_store_round_trip() -> None:
    """--partition-via needs a store that runs a server (an emulator store)."""
    a, again, command = round_trip(["--store", "dynamodb-local", "--partition-via", "nftables"])
    _same_run(a, again)
    assert command == "isolde run --store dynamodb-local --partition-via nftables"


def test_defaults_give_the_bare_command() -> None:
    assert round_trip([])[2] == "isolde run"


def test_every_run_flag_has_a_place_or_is_said_to_have_none() -> None:
    _, a = parse_args(["run", "--store", "memory", "--workload", "list-append"])
    for dest in vars(a):
        assert dest in NOT_IN_SCENARIO or dest in run_flags("memory", "list-append"), dest


def _samples(field: dataclasses.Field[Any]) -> list[str]:
    """Command-line values other than the field's default, to try in turn."""
    meta = field.metadata["isolde.option"]
    default = field.default
    if meta["choices"]:
        return [c for c in meta["choices"] if c != default]
    if isinstance(default, bool):
        return []  # a switch: given bare
    if isinstance(default, int | float):
        return [str(default + 1), str(default / 2)]  # a fraction takes the half
    return ["isolde-x", "http://127.0.0.1:1", "127.0.0.1:1", "400", "serverless", "a,b"]


def _plugin_cases() -> list[tuple[str, str, str, dataclasses.Field[Any]]]:
    """(store, workload, flag, field) for every store's and workload's own flag."""
    from isolde.harness._options import flags

    stores, _ = STORES.load_all()
    workloads, _ = WORKLOADS.load_all()
    cases = [(name, "", flag, f) for name, spec in stores.items()
             for flag, f in flags(spec.options).items()]
    cases += [("memory", name, flag, f) for name, spec in workloads.items()
              if spec.options is not None for flag, f in flags(spec.options).items()]
    return cases


@pytest.mark.parametrize(("store", "workload", "flag", "field"), _plugin_cases(),
                         ids=lambda x: x if isinstance(x, str) else "")
def test_every_store_and_workload_flag_round_trips(store: str, workload: str, flag: str,
                                                   field: dataclasses.Field[Any]) -> None:
    """Given alone, with a workload that takes it (a store's transaction flag wants one with
    transactions): a value the flag accepts comes back unchanged."""
    samples = _samples(field)
    tries = [[flag]] if not samples else [[flag, v] for v in samples]
    workloads = [workload] if workload else ["register", "list-append", "bank", "stream"]
    for wl in workloads:
        for extra in tries:
            try:
                a, again, command = round_trip(["--store", store, "--workload", wl, *extra])
            except UsageError:
                continue  # not a value this flag takes, or not with this workload
            _same_run(a, again)
            assert flag in command, command
            return
    pytest.fail(f"{flag} of {store} {workload}: no value tried was accepted")
