"""Stores, workloads and checkers are entry-point plugins, isolde's own included; a broken plugin
is one line naming it and stops nothing else; each store declares its flags and faults."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from isolde.checkers import CHECKERS
from isolde.harness import StoreContext, StoreSpec
from isolde.harness.stores import STORES, make_store
from isolde.nemesis import supported_faults
from isolde.workloads import WORKLOADS

from ..conftest import ROOT
from .conftest import env_with

BUILTIN_STORES = ["cosmos", "cosmos-emulator", "dynalite", "dynamodb", "dynamodb-local",
                  "firestore", "firestore-emulator", "memory", "moto"]


def test_builtins_are_registered_by_entry_point() -> None:
    names = sorted(x.name for x in entry_points(group="isolde.stores"))
    assert set(BUILTIN_STORES) <= set(names)
    assert set(STORES) >= set(BUILTIN_STORES)
    assert {"register", "causal", "list-append", "rw-register", "bank"} <= set(WORKLOADS)
    assert {"stats", "staleness", "causal", "linearizable", "list-append", "bank",
            "rw-register"} <= set(CHECKERS)
    for name in BUILTIN_STORES:
        assert isinstance(STORES[name], StoreSpec)


@pytest.mark.parametrize("name", BUILTIN_STORES)
def test_declared_faults_are_the_ones_the_nemesis_takes(name: str) -> None:
    spec = STORES[name]
    # Some faults need an option: clock skew needs several writers, the proxy a local endpoint.
    variants: list[dict[str, str]] = [{}, *{"memory": [{"writers": "lww"}], "dynamodb": [
        {"endpoint_url": "http://127.0.0.1:9"}], "firestore": [
        {"emulator_host": "127.0.0.1:9"}]}.get(name, [])]
    taken: set[str] = set()
    for options in variants:
        store = make_store(name, options, StoreContext(seed=1))
        assert store.capabilities == spec.capabilities or options
        taken |= set(supported_faults(store))
    assert taken == set(spec.faults)


def _fake_distribution(site: Path, name: str, points: str) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(points)


def test_a_broken_plugin_is_one_line_and_breaks_nothing_else(tmp_path: Path) -> None:
    _fake_distribution(tmp_path, "broken-store", "[isolde.stores]\n"
                       "broken = no_such_module_anywhere:SPEC\n"
                       "notaspec = os.path:join\n"
                       "memory = os.path:join\n")
    env = env_with(tmp_path)

    def isolde(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "isolde", *args], capture_output=True,
                              text=True, cwd=ROOT, timeout=300, env=env)

    p = isolde("stores")
    assert p.returncode == 0, p.stderr
    assert re.search(r"^broken: BROKEN: store plugin broken = no_such_module_anywhere:SPEC "
                     r"\(from broken-store 1.0\) cannot be loaded: ModuleNotFoundError",
                     p.stdout, re.M), p.stdout
    assert "notaspec: BROKEN:" in p.stdout and "expected an isolde.harness.StoreSpec" in p.stdout
    assert "memory: embedded" in p.stdout and "dynamodb:" in p.stdout  # the others still load
    assert "name is taken" in p.stderr  # a plugin cannot shadow a built-in
    p = isolde("run", "--store", "broken", "--time-limit", "1")
    assert p.returncode == 254
    errors = [line for line in p.stderr.splitlines() if line.startswith("isolde: error:")]
    assert len(errors) == 1 and "broken = no_such_module_anywhere:SPEC" in errors[0], p.stderr
    p = isolde("run", "--time-limit", "0.5", "--no-progress", "--store-dir",
               str(tmp_path / "store"))
    assert p.returncode == 0, p.stderr  # the built-in memory store, not the impostor


def test_flags_belong_to_their_store_and_workload(tmp_path: Path) -> None:
    def isolde(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "isolde", *args], capture_output=True,
                              text=True, cwd=ROOT, timeout=300)

    p = isolde("run", "--store", "dynamodb", "--help")
    assert p.returncode == 0
    assert "--region" in p.stdout and "--yes" in p.stdout and "--replicas" not in p.stdout
    p = isolde("run", "--help")
    assert "--replicas" in p.stdout and "--region" not in p.stdout
    p = isolde("run", "--workload", "bank", "--help")
    assert "--bank-mode" in p.stdout and "--max-txn-length" not in p.stdout
    for args, says in [(["--region", "x"], "--region does not apply to store 'memory' "
                                           "(it applies to: dynamodb)"),
                       (["--store", "moto", "--persistent"], "it applies to: dynalite, "
                                                             "dynamodb-local"),
                       (["--accounts", "3"], "--accounts does not apply to workload "
                                             "'register' (it applies to: bank, outbox)"),
                       (["--isolation", "none"], "--isolation does not apply to workload "
                                                 "'register' (it applies to: bank, list-append"),
                       (["--workload", "causal", "--keys", "2"], "--keys does not apply to "
                                                                 "workload 'causal'"),
                       (["--nemesis", "partition", "--partition-via", "nftables"],
                        "--partition-via does not apply to store 'memory' (it applies to: "
                        "cosmos-emulator, dynalite, dynamodb-local, firestore-emulator, moto)"),
                       (["--replicas", "0"], "--replicas: must be at least 1"),
                       (["--lag-ms", "nan"], "--lag-ms: expected a finite number")]:
        p = isolde("run", *args, "--store-dir", str(tmp_path))
        assert p.returncode == 254, (args, p.stderr)
        assert p.stderr.count("\n") == 1 and says in p.stderr, (args, p.stderr)
    assert not (tmp_path / "latest").exists()  # refused before anything ran


def test_the_core_names_no_store_and_probes_no_hook() -> None:
    """The command line, the nemesis and the scenario know stores only through the contract."""
    pkg = ROOT / "isolde"
    files = [pkg / "cli.py", pkg / "harness" / "_scenario.py", *sorted((pkg / "nemesis").glob(
        "*.py"))]
    for f in files:
        for n, line in enumerate(f.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            assert not re.search(r"dynamodb|moto|dynalite", code, re.I), f"{f.name}:{n}: {line}"
    for f in pkg.rglob("*.py"):
        text = f.read_text()
        assert not re.search(r"(getattr|hasattr)\(\s*(self\.)?store\b", text), f


def test_a_store_whose_sdk_is_missing_says_so() -> None:
    from dataclasses import dataclass

    from isolde.harness._plugin_cli import _describe

    @dataclass
    class NoOptions:
        pass

    spec = StoreSpec(name="future", summary="a store on an SDK not installed here",
                     options=NoOptions, build=lambda o, c: None,  # type: ignore[arg-type,return-value]
                     capabilities=frozenset({"register"}),
                     sdk=("aiobotocore", "no_such_sdk_package.client"),
                     sdk_hint="pip install future-sdk")
    assert spec.missing_sdk() == ["no_such_sdk_package.client"]
    lines = "\n".join(_describe(spec))
    assert "SDK: missing no_such_sdk_package.client (pip install future-sdk)" in lines
    with pytest.raises(TypeError, match="unknown read mode"):
        StoreSpec(name="x", summary="", options=NoOptions, build=spec.build,
                  capabilities=frozenset(), read_modes=("linearizable",))
    with pytest.raises(TypeError, match="must be a dataclass"):
        StoreSpec(name="x", summary="", options=int, build=spec.build, capabilities=frozenset())
