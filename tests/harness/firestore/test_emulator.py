"""Locating the emulator jar (isolde cannot download it), refusing in one line without it, and
FIRESTORE_EMULATOR_HOST never left in the environment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from isolde.harness.emulators import EmulatorError
from isolde.harness.stores.firestore import FIRESTORE_EMULATOR, FirestoreEmulatorStore
from isolde.harness.stores.firestore._emulator import ENV_JAR

from ...conftest import ROOT


def test_the_override_wins_and_a_wrong_one_is_not_silently_replaced(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_JAR, str(tmp_path / "missing.jar"))
    assert not FIRESTORE_EMULATOR.installed()
    status = FIRESTORE_EMULATOR.status()
    assert status.startswith("not found") and "missing.jar" in status and ENV_JAR in status
    with pytest.raises(EmulatorError, match="cannot download"):
        FIRESTORE_EMULATOR.install()
    jar = tmp_path / "cloud-firestore-emulator.jar"
    jar.write_bytes(b"PK")
    monkeypatch.setenv(ENV_JAR, str(jar))
    assert FIRESTORE_EMULATOR.locate() == jar
    assert FIRESTORE_EMULATOR.status() == f"found at {jar}" or "not on PATH" in \
        FIRESTORE_EMULATOR.status()


def test_run_without_the_jar_refuses_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, ENV_JAR: str(tmp_path / "missing.jar")}
    p = subprocess.run([sys.executable, "-m", "isolde", "run", "--store", "firestore-emulator",
                        "--time-limit", "1", "--no-progress", "--store-dir", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "firestore-emulator not found" in lines[0], p.stderr


@pytest.mark.usefixtures("firestore_jar")
def test_the_emulator_host_never_leaks_into_the_environment() -> None:
    async def go() -> None:
        store = FirestoreEmulatorStore()
        await store.setup()
        try:
            assert "FIRESTORE_EMULATOR_HOST" not in os.environ
            assert store.endpoint is not None
        finally:
            await store.teardown()

    assert "FIRESTORE_EMULATOR_HOST" not in os.environ
    asyncio.run(go())
    assert "FIRESTORE_EMULATOR_HOST" not in os.environ
