"""The Firestore emulator for the store tests: located (isolde cannot download it); where it is
absent, its tests skip with the store's own one-line reason."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Iterator

import pytest

from isolde.harness.stores.firestore import FIRESTORE_EMULATOR

from ._rig import Rig

pytest.importorskip("google.cloud.firestore", reason="pip install 'isolde[firestore]'")


@pytest.fixture(scope="session")
def firestore_jar() -> None:
    if not FIRESTORE_EMULATOR.installed():
        pytest.skip(f"firestore-emulator: {FIRESTORE_EMULATOR.status()}")
    if shutil.which(FIRESTORE_EMULATOR.runtime) is None:
        pytest.skip(f"firestore-emulator needs {FIRESTORE_EMULATOR.runtime!r} on PATH")


@pytest.fixture(scope="session")
def firestore_host(firestore_jar: None) -> Iterator[str]:
    """One emulator for the session's tests of the cloud path (``--emulator-host``)."""
    emu = FIRESTORE_EMULATOR.make()
    host, port = asyncio.run(emu.start())
    try:
        yield f"{host}:{port}"
    finally:
        asyncio.run(emu.stop())


def documents(host: str, collection: str) -> list[str]:
    """The ids of the documents in ``collection`` on the emulator at ``host``, asked with a
    client of our own."""
    from google.cloud.firestore import AsyncClient

    async def go() -> list[str]:
        with _env("FIRESTORE_EMULATOR_HOST", host):
            client = AsyncClient(project="isolde")
        try:
            return [d.id async for d in client.collection(collection).stream(timeout=60)]
        finally:
            client.close()

    return asyncio.run(go())


def put(host: str, collection: str, doc: str, value: object) -> None:
    from google.cloud.firestore import AsyncClient

    async def go() -> None:
        with _env("FIRESTORE_EMULATOR_HOST", host):
            client = AsyncClient(project="isolde")
        try:
            await client.collection(collection).document(doc).set({"v": value}, timeout=60)
        finally:
            client.close()

    asyncio.run(go())


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@pytest.fixture(scope="module")
def rig(firestore_jar: None, request: pytest.FixtureRequest) -> Iterator[Rig]:
    """The module's ``Rig`` class, made once for its tests."""
    r: Rig = request.module.Rig()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture(autouse=True)
def _heal(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "rig" in request.fixturenames:
        request.getfixturevalue("rig").heal()
