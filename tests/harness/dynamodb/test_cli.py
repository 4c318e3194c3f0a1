"""The CLI on DynamoDB: emulator stores start and stop by themselves; the cloud audit path
(``--store dynamodb``) exercised against DynamoDB Local through ``--endpoint-url`` -- plan and
estimate, ``--yes``, the op cap, the table deleted (also on Ctrl-C) or kept, names refused, and
no credential anywhere in what isolde writes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from isolde import IsoldeError
from isolde.harness import Scenario, run_scenario
from isolde.harness.stores.dynamodb import DynamoOptions
from isolde.harness.stores.dynamodb._api import Api, Secrets
from isolde.harness.stores.dynamodb._cost import Usage
from isolde.harness.stores.dynamodb._table import delete_table, list_tables

from ...conftest import ROOT

KEY_ID = "AKIAISOLDETESTKEY777"
SECRET = "isolde/Secret+Key/that-must-never-leak"


def isolde(*args: str, env: dict[str, str] | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "isolde", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env=env)


def aws_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    return env


def tables(url: str) -> set[str]:
    async def go() -> set[str]:
        api = Api(DynamoOptions(dummy_credentials=True), url, Usage(), Secrets())
        await api.open()
        try:
            return {t for t in await list_tables(api) if t.startswith("isolde-")}
        finally:
            await api.close()

    return asyncio.run(go())


def drop(url: str, name: str) -> None:
    async def go() -> None:
        api = Api(DynamoOptions(dummy_credentials=True), url, Usage(), Secrets())
        await api.open()
        try:
            await delete_table(api, name)
        finally:
            await api.close()

    asyncio.run(go())


def audit(url: str, tmp_path: Path, *extra: str) -> list[str]:
    return ["run", "--store", "dynamodb", "--endpoint-url", url, "--region", "us-east-1",
            "--time-limit", "60", "--concurrency", "4", "--no-progress",
            "--store-dir", str(tmp_path / "store"), *extra]


def test_audit_needs_yes_and_shows_the_plan(dynamodb_local_url: str, tmp_path: Path) -> None:
    before = tables(dynamodb_local_url)
    p = isolde(*audit(dynamodb_local_url, tmp_path, "--max-ops", "50"), env=aws_env())
    assert p.returncode == 254, p.stderr
    assert "at most 50 ops" in p.stdout and "estimated cost <= $" in p.stdout
    assert "--yes" in p.stderr and "Traceback" not in p.stderr
    assert tables(dynamodb_local_url) == before  # nothing was created


def test_audit_runs_capped_deletes_its_table_and_leaks_no_credentials(
        dynamodb_local_url: str, tmp_path: Path) -> None:
    before = tables(dynamodb_local_url)
    p = isolde(*audit(dynamodb_local_url, tmp_path, "--max-ops", "60", "--yes"), env=aws_env())
    assert p.returncode == 0, p.stdout + p.stderr
    assert "cloud audit:" in p.stdout and "estimated cost $" in p.stdout
    history = (tmp_path / "store" / "latest" / "history.jsonl").read_text().splitlines()
    invoked = [line for line in history if '"invoke"' in line]
    # --max-ops caps the whole run: the load stops a tenth short, the final reads fill the rest.
    assert 54 < len(invoked) <= 60
    assert any('"final":true' in line for line in invoked), "the final reads had room"
    assert tables(dynamodb_local_url) == before  # its table is gone
    written = [p.stdout, p.stderr] + [f.read_text(errors="replace")
                                      for f in (tmp_path / "store").rglob("*") if f.is_file()]
    for text in written:
        assert KEY_ID not in text and SECRET not in text


def test_audit_keep_keeps_the_table(dynamodb_local_url: str, tmp_path: Path) -> None:
    before = tables(dynamodb_local_url)
    p = isolde(*audit(dynamodb_local_url, tmp_path, "--max-ops", "20", "--yes", "--keep",
                      "--table", "isolde-kept-by-test"), env=aws_env())
    assert p.returncode == 0, p.stderr
    try:
        assert tables(dynamodb_local_url) - before == {"isolde-kept-by-test"}
        # isolde never reuses a table it did not just create
        again = isolde(*audit(dynamodb_local_url, tmp_path, "--max-ops", "5", "--yes",
                              "--table", "isolde-kept-by-test"), env=aws_env())
        assert again.returncode == 254 and "already exists" in again.stderr
    finally:
        drop(dynamodb_local_url, "isolde-kept-by-test")


def test_audit_refuses_foreign_table_names(tmp_path: Path) -> None:
    p = isolde(*audit("http://127.0.0.1:9", tmp_path, "--yes", "--table", "prod-orders"),
               env=aws_env())
    assert p.returncode == 254
    assert "refusing table 'prod-orders'" in p.stderr


def signal_audit(url: str, tmp_path: Path, sig: int) -> subprocess.CompletedProcess[str]:
    """Start a 60 s audit at ``url``, send ``sig`` once its table exists and load runs."""
    before = tables(url)
    args = audit(url, tmp_path, "--yes")
    args[args.index("--time-limit") + 1] = "60"
    proc = subprocess.Popen([sys.executable, "-m", "isolde", *args], cwd=ROOT, env=aws_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not tables(url) - before:
            assert time.monotonic() < deadline, "the audit never created its table"
            time.sleep(0.1)
        time.sleep(0.5)  # load is running
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def test_audit_ctrl_c_deletes_the_table(dynamodb_local_url: str, tmp_path: Path) -> None:
    before = tables(dynamodb_local_url)
    p = signal_audit(dynamodb_local_url, tmp_path, signal.SIGINT)
    assert tables(dynamodb_local_url) == before, p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("store", ["moto", "dynalite", "dynamodb-local"])
def test_emulator_stores_start_and_stop_themselves(store: str, tmp_path: Path,
                                                   request: pytest.FixtureRequest) -> None:
    if store != "moto":
        request.getfixturevalue(f"{store.replace('-', '_')}_installed")
    p = isolde("run", "--store", store, "--time-limit", "1.5", "--no-progress",
               "--store-dir", str(tmp_path / "store"))
    assert p.returncode == 0, p.stdout + p.stderr
    run = tmp_path / "store" / "latest"
    assert '"ok"' in (run / "history.jsonl").read_text()
    if store != "moto":
        assert (run / f"{store}.log").stat().st_size > 0  # the emulator's log, in the run


def test_emulator_command(dynalite_installed: None) -> None:
    p = isolde("emulator", "list")
    assert p.returncode == 0 and "dynalite" in p.stdout and "installed" in p.stdout
    p = isolde("emulator", "install", "dynalite")
    assert p.returncode == 0 and "dynalite: installed in" in p.stdout
    p = isolde("emulator", "install", "nosuch")
    assert p.returncode == 254


def test_unreachable_endpoint_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = isolde(*audit(f"http://127.0.0.1:{port}", tmp_path, "--yes"), env=aws_env())
    assert p.returncode == 255
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "setup failed: connect-failed" in lines[0], p.stderr
    assert KEY_ID not in p.stderr and SECRET not in p.stderr


def test_endpoint_url_credentials_are_refused_and_never_echoed(dynamodb_local_url: str,
                                                               tmp_path: Path) -> None:
    url = dynamodb_local_url.replace("http://", "http://isolde-user:url-s3cret@")
    p = isolde(*audit(url, tmp_path, "--max-ops", "20", "--yes"), env=aws_env())
    assert p.returncode == 254 and p.stdout == ""
    assert p.stderr.startswith("isolde: error: --endpoint-url 'http://***@127.0.0.1:")
    assert "url-s3cret" not in p.stderr and "isolde-user" not in p.stderr
    assert not (tmp_path / "store").exists()
    # Through the library (no CLI to refuse it), nothing written names them either.
    scenario = Scenario(store="dynamodb", time_limit=1, store_dir=tmp_path / "lib",
                        store_options={"endpoint_url": url, "region": "us-east-1"})
    with pytest.raises(IsoldeError, match="setup failed"):
        run_scenario(scenario)
    for f in (tmp_path / "lib").rglob("*"):
        if f.is_file():
            assert "url-s3cret" not in f.read_text(), f
            assert "isolde-user" not in f.read_text(), f


def test_dynamodb_local_leaves_nothing_in_the_callers_directory(
        dynamodb_local_installed: None, tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    p = subprocess.run([sys.executable, "-m", "isolde", "run", "--store", "dynamodb-local",
                        "--time-limit", "1", "--no-progress", "--store-dir", str(tmp_path / "s")],
                       capture_output=True, text=True, cwd=cwd, timeout=180)
    assert p.returncode == 0, p.stderr
    assert list(cwd.iterdir()) == []  # no dynamodb-local-metadata.json here
    for meta in (tmp_path / "s").rglob("dynamodb-local-metadata.json"):
        assert '"telemetryEnabled":"false"' in meta.read_text().replace(" ", "")


def test_persistent_dynalite_data_stays_in_the_run(dynalite_installed: None,
                                                   tmp_path: Path) -> None:
    tmp = Path(tempfile.gettempdir())
    before = set(tmp.glob("isolde-dynalite-data-*"))
    store = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, "-m", "isolde", "run", "--store", "dynalite",
                             "--persistent", "--time-limit", "60", "--no-progress",
                             "--store-dir", str(store)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        hist = store / "register-dynalite" / "latest" / "history.jsonl"
        deadline = time.monotonic() + 60
        while not (hist.exists() and b'"ok"' in hist.read_bytes()):
            assert time.monotonic() < deadline and proc.poll() is None, "no load ran"
            time.sleep(0.1)
        proc.kill()  # nothing of isolde's cleanup runs
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert set(tmp.glob("isolde-dynalite-data-*")) == before
    assert list((store / "latest").glob("dynalite-data-*"))  # in the run, with its history


def test_emulator_start_prints_a_line_that_runs(dynalite_installed: None, tmp_path: Path) -> None:
    emu = subprocess.Popen([sys.executable, "-m", "isolde", "emulator", "start", "dynalite"],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert emu.stdout is not None
        assert "ready at http://127.0.0.1:" in emu.stdout.readline()
        line = emu.stdout.readline().strip()
        assert line.startswith("AWS_ACCESS_KEY_ID=") and "--endpoint-url http://127.0.0.1:" in line
        # As pasted (isolde being this checkout's), with a short run into the test's directory.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
        command = line.replace(" isolde run ", f" {sys.executable} -m isolde run ", 1)
        p = subprocess.run(f"{command} --time-limit 1 --no-progress --store-dir {tmp_path}",
                           shell=True, capture_output=True, text=True, cwd=ROOT, env=env,
                           timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "cloud audit:" in p.stdout
    finally:
        emu.send_signal(signal.SIGINT)
        emu.communicate(timeout=30)
