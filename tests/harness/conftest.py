"""Emulators for the store tests: installed by the tests themselves (cached in the user cache
directory across runs), started once per session where a test does not need its own."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator

import pytest

from isolde.harness.emulators import EmulatorSpec, ProcessEmulator
from isolde.harness.stores.cosmos import COSMOSDB_SERVER
from isolde.harness.stores.dynamodb import DYNALITE, DYNAMODB_LOCAL


def _install(spec: EmulatorSpec) -> None:
    if shutil.which(spec.runtime) is None:
        pytest.skip(f"{spec.name} needs {spec.runtime!r} on PATH")
    if shutil.which("npm") is None and not spec.installed():
        pytest.skip(f"installing {spec.name} needs npm on PATH")
    spec.install()


@pytest.fixture(scope="session")
def dynamodb_local_installed() -> None:
    _install(DYNAMODB_LOCAL)


@pytest.fixture(scope="session")
def cosmosdb_server_installed() -> None:
    _install(COSMOSDB_SERVER)


@pytest.fixture(scope="session")
def dynalite_installed() -> None:
    _install(DYNALITE)


@pytest.fixture(scope="session")
def dynamodb_local_url(dynamodb_local_installed: None) -> Iterator[str]:
    """One DynamoDB Local for the session's tests that bring their own table."""
    emu = ProcessEmulator(DYNAMODB_LOCAL)
    host, port = asyncio.run(emu.start())
    try:
        yield f"http://{host}:{port}"
    finally:
        asyncio.run(emu.stop())
