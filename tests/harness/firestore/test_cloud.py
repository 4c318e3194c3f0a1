"""The cloud path (``--store firestore``) through the same code, against the emulator with
``--emulator-host``: the plan without ``--yes`` (exit 254, no connection made), the op cap, the
run's documents deleted (also after Ctrl-C) or kept, a collection isolde did not create refused,
and no credential anywhere in what isolde writes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ...conftest import ROOT
from .conftest import documents, put

pytestmark = pytest.mark.emulator
PRIVATE_KEY = ("-----BEGIN PRIVATE KEY-----\nMIIisoldeFAKEkeyTHATmustNEVERleak\n"
               "-----END PRIVATE KEY-----\n")
TOKEN = "ya29.isolde-fake-access-token-never-logged"


def isolde(*args: str, env: dict[str, str] | None = None,
           timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "isolde", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout, env=env)


def cloud(host: str, tmp_path: Path, *extra: str) -> list[str]:
    return ["run", "--store", "firestore", "--emulator-host", host, "--project", "isolde",
            "--time-limit", "2",
            "--concurrency", "4", "--no-progress", "--store-dir", str(tmp_path / "store"),
            *extra]


def fake_credentials(tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "sa.json"
    key.write_text(json.dumps({
        "type": "service_account", "project_id": "isolde-fake", "private_key_id": "f" * 40,
        "private_key": PRIVATE_KEY, "client_email": "isolde@isolde-fake.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}))
    return {**os.environ, "GOOGLE_APPLICATION_CREDENTIALS": str(key),
            "GOOGLE_OAUTH_ACCESS_TOKEN": TOKEN}


def test_plan_without_yes_sends_nothing(tmp_path: Path) -> None:
    with socket.socket() as listener:  # stands where the service would be; must hear nothing
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        p = isolde(*cloud(f"127.0.0.1:{port}", tmp_path, "--max-ops", "40"))
        with pytest.raises(TimeoutError):
            listener.accept()
    assert p.returncode == 254, p.stderr
    assert "at most 40 ops of register" in p.stdout and "estimated cost <= $" in p.stdout
    assert "--yes" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").rglob("*.jsonl"))


def test_capped_run_deletes_its_documents(firestore_host: str, tmp_path: Path) -> None:
    p = isolde(*cloud(firestore_host, tmp_path, "--max-ops", "40", "--yes",
                      "--collection", "isolde-capped"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "cloud audit:" in p.stdout and "document reads" in p.stdout
    history = next((tmp_path / "store").rglob("history.jsonl")).read_text().splitlines()
    assert sum('"invoke"' in line for line in history) <= 40
    assert documents(firestore_host, "isolde-capped") == []


def test_keep_keeps_them(firestore_host: str, tmp_path: Path) -> None:
    p = isolde(*cloud(firestore_host, tmp_path, "--max-ops", "20", "--yes", "--keep",
                      "--collection", "isolde-kept"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert documents(firestore_host, "isolde-kept") != []


def test_a_collection_isolde_did_not_create_is_refused_and_left_alone(
        firestore_host: str, tmp_path: Path) -> None:
    put(firestore_host, "isolde-theirs", "precious", 42)
    p = isolde(*cloud(firestore_host, tmp_path, "--yes", "--collection", "isolde-theirs"))
    assert p.returncode != 0 and "already holds documents" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr
    assert documents(firestore_host, "isolde-theirs") == ["precious"]
    p = isolde(*cloud(firestore_host, tmp_path, "--yes", "--collection", "users"))
    assert p.returncode == 254 and "must start with 'isolde-'" in p.stderr


def test_proxy_faults_against_an_emulator_host_and_deletes_through_the_direct_line(
        firestore_host: str, tmp_path: Path) -> None:
    """The workers go through the fault proxy; the deletes at the end, after the proxy is gone,
    go straight to the emulator."""
    # The first fault 50 ms in: long before 200 ops, even on an idle machine (~550 ops/s).
    p = isolde(*cloud(firestore_host, tmp_path, "--max-ops", "200", "--yes", "--nemesis",
                      "latency,reset", "--nemesis-interval", "0.05", "--collection",
                      "isolde-proxied"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "faults: " in p.stdout and "Traceback" not in p.stderr
    assert documents(firestore_host, "isolde-proxied") == []


def test_the_service_refuses_proxy_faults_before_its_plan(tmp_path: Path) -> None:
    p = isolde("run", "--store", "firestore", "--project", "isolde", "--nemesis", "partition",
               "--no-progress", "--store-dir", str(tmp_path))
    assert p.returncode == 254
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "no local endpoint" in lines[0], p.stderr
    assert "cloud audit" not in p.stdout  # refused before the plan, nothing sent


def test_ctrl_c_deletes_its_documents(firestore_host: str, tmp_path: Path) -> None:
    args = cloud(firestore_host, tmp_path, "--yes", "--collection", "isolde-interrupted")
    args[args.index("--time-limit") + 1] = "60"
    proc = subprocess.Popen([sys.executable, "-m", "isolde", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and documents(firestore_host, "isolde-interrupted") == []:
        time.sleep(0.5)
    assert documents(firestore_host, "isolde-interrupted") != [], "the run never wrote"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    assert "cloud audit:" in out
    assert documents(firestore_host, "isolde-interrupted") == []


def test_no_credential_in_anything_isolde_writes(firestore_host: str, tmp_path: Path) -> None:
    env = fake_credentials(tmp_path)
    p = isolde(*cloud(firestore_host, tmp_path, "--max-ops", "30", "--yes"), env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    texts = [p.stdout, p.stderr] + [f.read_text(errors="replace")
                                     for f in (tmp_path / "store").rglob("*") if f.is_file()]
    for secret in ("MIIisoldeFAKEkey", TOKEN, "f" * 40):
        assert not any(secret in t for t in texts), secret
