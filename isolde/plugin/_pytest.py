"""The pytest plugin (entry point ``pytest11``): fixtures that do nothing until a test asks.

- ``isolde_run``: :func:`isolde.plugin.isolde_run` with the session's overrides applied
  (``--isolde-store``, ``--isolde-time-limit``, ``--isolde-seed``) and run directories under
  ``--isolde-store-dir`` (default: pytest's temporary directory).
- ``dynamodb_local``, ``dynalite``, ``moto_server``: an emulator started once per session on
  127.0.0.1, its endpoint URL as ``.url``; a test using one is skipped, with a one-line reason,
  when the emulator (or its runtime) is not installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ._run import RunResult, isolde_run


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("isolde", "isolde consistency runs")
    g.addoption("--isolde-store", default=None, help="store for every isolde_run of the session")
    g.addoption("--isolde-time-limit", type=float, default=None,
                help="seconds of load for every isolde_run of the session")
    g.addoption("--isolde-seed", type=int, default=None, help="seed for every isolde_run")
    g.addoption("--isolde-store-dir", type=Path, default=None,
                help="where isolde_run's run directories go (default: pytest's tmp dir)")


@pytest.fixture(name="isolde_run")
def isolde_run_fixture(request: pytest.FixtureRequest,
                       tmp_path_factory: pytest.TempPathFactory) -> Callable[..., RunResult]:
    cfg = request.config
    store_dir = cfg.getoption("--isolde-store-dir") or tmp_path_factory.mktemp("isolde")
    overrides = {k: v for k, v in (("store", cfg.getoption("--isolde-store")),
                                   ("time_limit", cfg.getoption("--isolde-time-limit")),
                                   ("seed", cfg.getoption("--isolde-seed"))) if v is not None}

    def run(**kwargs: Any) -> RunResult:
        return isolde_run(**{"store_dir": store_dir, **kwargs, **overrides})

    return run


@dataclass(frozen=True)
class Endpoint:
    """A running emulator's endpoint (``url``, e.g. ``http://127.0.0.1:41234``)."""

    name: str
    url: str


def _emulator(name: str) -> Iterator[Endpoint]:
    from ..harness.emulators import EmulatorError, make_emulator

    loop = asyncio.new_event_loop()
    try:
        emu = make_emulator(name)
        host, port = loop.run_until_complete(emu.start())
    except EmulatorError as e:
        loop.close()
        pytest.skip(f"{name} not available: {e}")
    try:
        yield Endpoint(name, f"http://{host}:{port}")
    finally:
        loop.run_until_complete(emu.stop())
        loop.close()


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[Endpoint]:
    yield from _emulator("dynamodb-local")


@pytest.fixture(scope="session")
def dynalite() -> Iterator[Endpoint]:
    yield from _emulator("dynalite")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Endpoint]:
    yield from _emulator("moto")
