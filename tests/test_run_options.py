"""``isolde run`` judges every name and option before anything runs (issue 10 section 2, issue 11
sections 3 and 5): a bad one is one line on stderr, exit 254, nothing on stdout (no plan, no
request) and no run directory left behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from isolde import __version__

from .conftest import ROOT, run_cli

BAD_OPTIONS = {
    "time-limit-nan": (["--time-limit", "nan"], "--time-limit"),
    "time-limit-inf": (["--time-limit", "inf"], "--time-limit"),
    "rate-nan": (["--rate", "nan"], "--rate"),
    "bounded-ms-nan": (["--bounded-ms", "nan"], "--bounded-ms"),
    "lag-ms-nan": (["--lag-ms", "nan"], "--lag-ms"),
    "op-timeout-nan": (["--op-timeout", "nan"], "--op-timeout"),
    "nemesis-interval-nan": (["--nemesis-interval", "nan"], "--nemesis-interval"),
    "check-time-limit-nan": (["--check-time-limit", "nan"], "--check-time-limit"),
    "lag-ms-negative": (["--lag-ms", "-1"], "--lag-ms"),
    "rate-tiny": (["--rate", "1e-300"], "--rate: must be at least 1e-06"),
    "keys-huge": (["--keys", str(2**53)], "--keys: must be at most 10000"),
    "accounts-huge": (["--workload", "bank", "--accounts", "100000000"], "--accounts"),
    "replicas-huge": (["--replicas", "1000000"], "--replicas"),
    "concurrency-huge": (["--concurrency", "100000"], "--concurrency"),
    "memory-limit-huge": (["--memory-limit", "99999999999T"], "--memory-limit"),
    "seed-1e100": (["--seed", "1e100"], "--seed"),
    "total-1e30": (["--workload", "bank", "--total", "1e30"], "--total"),
    "total-huge": (["--workload", "bank", "--total", "1" + "0" * 30], "--total"),
    "checker": (["--checker", "nope"], "unknown checker 'nope'"),
    "model": (["--model", "nope"], "unknown model 'nope'"),
    "consistency-models": (["--consistency-models", "nope"], "unknown consistency model"),
    "sla": (["--staleness-sla", "p99=soon"], "--staleness-sla"),
    "isolation-name": (["--isolation", "chaos"], "--isolation"),
    "read-consistency": (["--read-consistency", "whenever"], "--read-consistency"),
    "writers": (["--writers", "everyone"], "--writers"),
    "fault": (["--nemesis", "meteor"], "meteor"),
    "moto-persistent": (["--store", "moto", "--persistent"],
                        "--persistent does not apply to store 'moto'"),
    "memory-persistent": (["--persistent"], "--persistent does not apply to store 'memory'"),
    "memory-nftables": (["--nemesis", "partition", "--partition-via", "nftables"],
                        "--partition-via does not apply to store 'memory'"),
    "nftables-without-partition": (["--store", "dynalite", "--partition-via", "nftables"],
                                   "--partition-via applies only with --nemesis partition"),
    "register-isolation": (["--isolation", "none"],
                           "--isolation does not apply to workload 'register'"),
    "register-accounts": (["--accounts", "3"], "--accounts does not apply to workload"),
    "bank-keys": (["--workload", "bank", "--keys", "3"], "--keys does not apply to workload"),
    "emulator-replicas": (["--store", "moto", "--replicas", "2"],
                          "--replicas does not apply to store 'moto'"),
    "dynalite-endpoint": (["--store", "dynalite", "--endpoint-url", "http://127.0.0.1:9"],
                          "--endpoint-url does not apply to store 'dynalite'"),
    "endpoint-scheme": (["--store", "dynamodb", "--endpoint-url", "ftp://127.0.0.1"],
                        "--endpoint-url"),
    "max-txn-length": (["--workload", "list-append", "--max-txn-length", "6"],
                       "must be at most 5"),
    "junit-directory": (["--junit", "/tmp"], "--junit /tmp: is a directory"),
    "junit-missing-parent": (["--junit", "/nonexistent-isolde/j.xml"], "--junit"),
    "junit-read-only": (["--junit", "/proc/version"], "--junit /proc/version"),
}


def _refused(r: subprocess.CompletedProcess[str], expect: str) -> None:
    assert r.returncode == 254, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("isolde: error: ") and expect in lines[0], lines[0]
    assert r.stdout == ""  # no plan, no summary


@pytest.mark.parametrize("args,expect", BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_bad_option_refused_before_anything_runs(tmp_path: Path, args: list[str],
                                                 expect: str) -> None:
    store = tmp_path / "store"
    r = run_cli("run", "--time-limit", "0.5", "--no-progress", "--store-dir", str(store), *args)
    _refused(r, expect)
    assert not store.exists()


def _read_only_dir(tmp_path: Path) -> Path:
    if os.geteuid() == 0:
        return Path("/sys/kernel")  # root writes anywhere but on a read-only filesystem
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    return d


@pytest.mark.parametrize("where", ["/proc", "/sys", "/dev/null", "file", "long", "read-only"])
def test_unusable_store_dir(tmp_path: Path, where: str) -> None:
    paths = {"file": tmp_path / "f", "long": tmp_path / ("x" * 300),
             "read-only": _read_only_dir(tmp_path) / "runs"}
    path = paths.get(where, Path(where))
    if where == "file":
        path.write_text("not a directory")
    r = run_cli("run", "--time-limit", "0.5", "--no-progress", "--store-dir", str(path))
    _refused(r, f"--store-dir {path}")
    if where == "file":
        assert path.read_text() == "not a directory"


def test_junit_checked_before_and_written_after(tmp_path: Path) -> None:
    junit = tmp_path / "j.xml"
    r = run_cli("run", "--time-limit", "0.3", "--no-progress", "--store-dir",
                str(tmp_path / "store"), "--junit", str(junit))
    assert r.returncode == 0, r.stderr
    assert "<testsuite" in junit.read_text()


def _no_aws_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
               AWS_EC2_METADATA_DISABLED="true", **extra)
    return env


@pytest.mark.parametrize("missing", ["credentials", "region"])
def test_cloud_audit_without_credentials_or_region(tmp_path: Path, missing: str) -> None:
    env = (_no_aws_env(AWS_DEFAULT_REGION="eu-west-1") if missing == "credentials" else
           _no_aws_env(AWS_ACCESS_KEY_ID="AKIAISOLDETESTKEY777", AWS_SECRET_ACCESS_KEY="s3cret"))
    store = tmp_path / "store"
    r = subprocess.run([sys.executable, "-m", "isolde", "run", "--store", "dynamodb", "--yes",
                        "--store-dir", str(store)], capture_output=True, text=True, cwd=ROOT,
                       env=env, timeout=120)
    _refused(r, f"cloud audit: no AWS {missing}")
    assert not store.exists()


def test_no_arguments_prints_usage() -> None:
    r = run_cli()
    assert r.returncode == 254
    assert r.stdout.startswith("usage: isolde")
    assert "{run,check,stores,convert,emulator,report,serve}" in r.stdout
    assert r.stderr == ""


def test_version() -> None:
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"isolde {__version__}"


def test_check_accepts_a_run_directory(tmp_path: Path) -> None:
    r = run_cli("run", "--time-limit", "0.3", "--no-progress", "--store-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    r = run_cli("check", "--json", str(tmp_path / "latest"))
    assert r.returncode == 0, r.stderr
    assert '"valid":true' in r.stdout


def test_help_lists_every_choice_and_default() -> None:
    from isolde.checkers import CHECKERS
    from isolde.checkers.isolation import MODELS as ISOLATION_MODELS
    from isolde.checkers.linearizable import MODELS as LINEARIZABLE_MODELS
    from isolde.harness import STORES
    from isolde.nemesis import FAULT_NAMES
    from isolde.workloads import WORKLOADS

    r = run_cli("run", "--help")
    assert r.returncode == 0
    text = " ".join(re.sub(r"-\n\s+", "-", r.stdout).split())  # undo argparse's wrapping
    for names in (STORES, WORKLOADS, FAULT_NAMES, CHECKERS, LINEARIZABLE_MODELS,
                  ISOLATION_MODELS):
        for name in names:
            assert name in text, name
    for flag, default in [("--keys KEYS", 5), ("--ops-per-key OPS_PER_KEY", 200),
                          ("--replicas REPLICAS", 3), ("--lag-ms LAG_MS", 5.0),
                          ("--time-limit SEC", 10.0), ("--concurrency CONCURRENCY", 10)]:
        after = text[text.index(f"{flag} ", text.index("options:")):]
        assert f"(default: {default})" in after[:300], flag


def test_closed_stdout_still_writes_every_file(tmp_path: Path) -> None:
    junit = tmp_path / "j.xml"
    proc = subprocess.Popen([sys.executable, "-m", "isolde", "run", "--time-limit", "0.5",
                             "--no-progress", "--store-dir", str(tmp_path / "store"), "--junit",
                             str(junit)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    proc.stdout.close()  # as `| head -0` would: the summary cannot be printed
    proc.wait(timeout=120)
    assert "<testsuite" in junit.read_text()
    assert (tmp_path / "store" / "latest" / "junit.xml").exists()
