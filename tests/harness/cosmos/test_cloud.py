"""The cloud path (``--store cosmos``) through the same code, against cosmosdb-server with
``--endpoint-url``: the plan without ``--yes`` (exit 254, no connection made), the op cap and the
usage read from the response headers, the run's database deleted (also after Ctrl-C) or kept, a
database isolde did not create refused and left alone, a read level stronger than the account's
refused, and no credential anywhere in what isolde writes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from isolde.harness.stores.cosmos import COSMOSDB_SERVER, EMULATOR_KEY

from ...conftest import ROOT

pytestmark = pytest.mark.usefixtures("cosmosdb_server_installed")
# A fake account key (base64, as the SDK wants one): cosmosdb-server checks no signature.
FAKE_KEY = "aXNvbGRlLWZha2UtY29zbW9zLWtleS1uZXZlci1sb2dnZWQtMDEyMzQ1Njc4OQ=="


@pytest.fixture(scope="module")
def cosmos_url(cosmosdb_server_installed: None) -> Iterator[str]:
    """One cosmosdb-server for this module's runs of the cloud path."""
    emu = COSMOSDB_SERVER.make()
    host, port = asyncio.run(emu.start())
    try:
        yield f"http://{host}:{port}"
    finally:
        asyncio.run(emu.stop())


def databases(url: str) -> list[str]:
    """The databases on the emulator at ``url``, asked with a client of our own."""
    from azure.cosmos.aio import CosmosClient

    async def go() -> list[str]:
        async with CosmosClient(url, credential=EMULATOR_KEY,
                                enable_endpoint_discovery=False) as client:
            return sorted([d["id"] async for d in client.list_databases()])

    return asyncio.run(go())


def create_database(url: str, name: str) -> None:
    from azure.cosmos.aio import CosmosClient

    async def go() -> None:
        async with CosmosClient(url, credential=EMULATOR_KEY,
                                enable_endpoint_discovery=False) as client:
            await client.create_database(name)

    asyncio.run(go())


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("COSMOS_")}
    return {**base, "COSMOS_KEY": FAKE_KEY, **extra}


def isolde(*args: str, environ: dict[str, str] | None = None,
           timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "isolde", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout, env=environ or env())


def cloud(url: str, tmp_path: Path, *extra: str) -> list[str]:
    return ["run", "--store", "cosmos", "--endpoint-url", url, "--throughput", "serverless",
            "--read-consistency", "session", "--time-limit", "30", "--concurrency", "4",
            "--no-progress", "--store-dir", str(tmp_path / "store"), *extra]


def test_plan_without_yes_sends_nothing(tmp_path: Path) -> None:
    with socket.socket() as listener:  # stands where the service would be; must hear nothing
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.5)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        p = isolde(*cloud(url, tmp_path, "--max-ops", "40"))
        with pytest.raises(TimeoutError):
            listener.accept()
    assert p.returncode == 254, p.stderr
    assert "at most 40 ops of register" in p.stdout and "estimated cost <= $" in p.stdout
    assert "--yes" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").rglob("*.jsonl"))


@pytest.mark.parametrize(("args", "why"), [
    (("--throughput", "serverless"), "no endpoint: set COSMOS_ENDPOINT or pass --endpoint-url"),
    (("--endpoint-url", "http://127.0.0.1:9"), "--store cosmos needs --throughput"),
    (("--endpoint-url", "http://127.0.0.1:9", "--throughput", "100"), "at least 400"),
])
def test_what_the_plan_needs_is_refused_in_one_line(tmp_path: Path, args: tuple[str, ...],
                                                    why: str) -> None:
    p = isolde("run", "--store", "cosmos", *args, "--store-dir", str(tmp_path))
    assert p.returncode == 254 and why in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_provisioned_plan_prices_the_hour(tmp_path: Path) -> None:
    p = isolde(*cloud("http://127.0.0.1:9", tmp_path, "--throughput", "1000"))
    assert p.returncode == 254, p.stderr
    assert "1000 RU/s provisioned: estimated cost <= $0.0800 per hour" in p.stdout


def test_capped_run_reports_its_usage_and_deletes_its_database(cosmos_url: str,
                                                                tmp_path: Path) -> None:
    p = isolde(*cloud(cosmos_url, tmp_path, "--max-ops", "40", "--yes",
                      "--database", "isolde-capped"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "cloud audit:" in p.stdout and "RU charged" in p.stdout
    history = next((tmp_path / "store").rglob("history.jsonl")).read_text().splitlines()
    assert 0 < sum('"invoke"' in line for line in history) <= 40
    assert "isolde-capped" not in databases(cosmos_url)


def test_keep_keeps_it(cosmos_url: str, tmp_path: Path) -> None:
    p = isolde(*cloud(cosmos_url, tmp_path, "--max-ops", "20", "--yes", "--keep",
                      "--database", "isolde-kept"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "isolde-kept" in databases(cosmos_url)


def test_a_database_isolde_did_not_create_is_refused_and_left_alone(
        cosmos_url: str, tmp_path: Path) -> None:
    create_database(cosmos_url, "isolde-theirs")
    p = isolde(*cloud(cosmos_url, tmp_path, "--max-ops", "20", "--yes",
                      "--database", "isolde-theirs"))
    assert p.returncode != 0 and "setup failed: conflict" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr
    assert "isolde-theirs" in databases(cosmos_url)
    p = isolde(*cloud(cosmos_url, tmp_path, "--yes", "--database", "users"))
    assert p.returncode == 254 and "refusing database 'users'" in p.stderr, p.stderr


def test_a_level_stronger_than_the_accounts_is_refused_naming_it(cosmos_url: str,
                                                                  tmp_path: Path) -> None:
    # cosmosdb-server says its account's default consistency is Session.
    args = cloud(cosmos_url, tmp_path, "--max-ops", "20", "--yes", "--database", "isolde-strong")
    args[args.index("--read-consistency") + 1] = "strong"
    p = isolde(*args)
    assert p.returncode == 254, p.stderr
    assert p.stderr.strip() == (
        "isolde: error: --read-consistency strong (Strong) is stronger than the account's default "
        "consistency Session: a request may only relax it (use --read-consistency session or "
        "weaker)")
    assert "isolde-strong" not in databases(cosmos_url)


def test_ctrl_c_deletes_its_database(cosmos_url: str, tmp_path: Path) -> None:
    args = cloud(cosmos_url, tmp_path, "--yes", "--database", "isolde-interrupted",
                 "--max-ops", "100000000")
    args[args.index("--time-limit") + 1] = "120"
    proc = subprocess.Popen([sys.executable, "-m", "isolde", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    try:
        deadline = time.monotonic() + 120
        while (time.monotonic() < deadline and proc.poll() is None
               and not list((tmp_path / "store").rglob("history.jsonl"))):
            time.sleep(0.5)
        assert "isolde-interrupted" in databases(cosmos_url), "the run never set up"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=180)
    finally:
        proc.kill()
    assert "Traceback" not in err, err
    assert "cloud audit:" in out
    assert "isolde-interrupted" not in databases(cosmos_url)


def test_no_credential_in_anything_isolde_writes(cosmos_url: str, tmp_path: Path) -> None:
    p = isolde(*cloud(cosmos_url, tmp_path, "--max-ops", "30", "--yes"),
               environ=env(COSMOS_ENDPOINT=cosmos_url))
    assert p.returncode == 0, p.stdout + p.stderr
    texts = [p.stdout, p.stderr] + [f.read_text(errors="replace")
                                     for f in (tmp_path / "store").rglob("*") if f.is_file()]
    assert any("history.jsonl" in str(f) for f in (tmp_path / "store").rglob("*"))
    for secret in (FAKE_KEY, FAKE_KEY[:24]):
        assert not any(secret in t for t in texts), secret
