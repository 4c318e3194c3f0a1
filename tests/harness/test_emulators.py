"""ManagedProcess on a stand-in server (python's http.server: fast, always present), then the
real installers and emulators: install is cached, start is ready, stop leaves nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from isolde import UsageError
from isolde.harness.emulators import (
    EmulatorError,
    ManagedProcess,
    cache_dir,
    free_port,
    http_ready,
    make_emulator,
    port_open,
)
from isolde.harness.emulators._process import serves_port
from isolde.harness.stores.dynamodb import DYNALITE, DYNAMODB_LOCAL


def http_server(port: int) -> list[str]:
    return [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_lifecycle_signals_and_reaping(tmp_path: Path) -> None:
    async def go() -> None:
        p = ManagedProcess("http", http_server, tmp_path / "http.log")
        await p.start()
        assert p.endpoint is not None and p.endpoint[0] == "127.0.0.1"
        port, pid = p.port, p.pid
        assert port is not None and pid is not None
        assert await http_ready("127.0.0.1", port)
        p.pause()
        assert not await http_ready("127.0.0.1", port, timeout=0.3)
        p.resume()
        assert await http_ready("127.0.0.1", port)
        p.kill()
        assert gone(pid), "killed process must be reaped, not left a zombie"
        assert not port_open("127.0.0.1", port)
        await p.restart()
        assert p.port == port and p.pid != pid
        assert await http_ready("127.0.0.1", port)
        pid2 = p.pid
        assert pid2 is not None
        await p.stop()
        assert gone(pid2) and not p.running

    asyncio.run(go())
    assert "starting http" in (tmp_path / "http.log").read_text()


def test_a_process_that_dies_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    def argv(port: int) -> list[str]:
        return [sys.executable, "-c", "import sys; print('boom: bad config'); sys.exit(3)"]

    p = ManagedProcess("dies", argv, tmp_path / "dies.log")
    with pytest.raises(EmulatorError, match=r"exited with code 3.*boom: bad config"):
        asyncio.run(p.start())
    assert p.proc is not None and gone(p.proc.pid)


def test_a_process_never_ready_is_killed(tmp_path: Path) -> None:
    def argv(port: int) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(60)"]

    p = ManagedProcess("silent", argv, tmp_path / "s.log", ready_timeout=0.5)
    with pytest.raises(EmulatorError, match="not ready"):
        asyncio.run(p.start())
    assert p.proc is not None and gone(p.proc.pid)


def test_fixed_port_in_use_is_refused(tmp_path: Path) -> None:
    async def go() -> None:
        a = ManagedProcess("a", http_server, tmp_path / "a.log")
        await a.start()
        try:
            b = ManagedProcess("b", http_server, tmp_path / "b.log", port=a.port)
            with pytest.raises(EmulatorError, match="in use"):
                await b.start()
        finally:
            await a.stop()

    asyncio.run(go())


def test_another_server_on_the_port_is_not_taken_for_ours(tmp_path: Path) -> None:
    """A server that takes the port between the probe and a slow starter's bind answers the
    readiness probe first: it must not pass for ours (the run would talk to a store isolde did
    not start). Ours fails to bind and is started again on another port."""
    foreign: list[subprocess.Popen[bytes]] = []

    def slow_binder(port: int) -> list[str]:
        if not foreign:  # the first attempt: someone else gets there first
            foreign.append(subprocess.Popen(http_server(port), stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL))
            while not port_open("127.0.0.1", port):
                time.sleep(0.05)
        return [sys.executable, "-c", "import time, runpy, sys; time.sleep(1.0); "
                f"sys.argv = ['http.server', '--bind', '127.0.0.1', '{port}']; "
                "runpy.run_module('http.server', run_name='__main__')"]

    async def go() -> None:
        p = ManagedProcess("slow", slow_binder, tmp_path / "slow.log", ready_timeout=30)
        await p.start()
        try:
            assert p.port is not None and p.pid is not None
            assert p.port != foreign[0].args[-1]  # type: ignore[index]
            assert serves_port(p.pid, p.port) is True
            assert serves_port(foreign[0].pid, p.port) is False
        finally:
            await p.stop()

    try:
        asyncio.run(go())
    finally:
        for f in foreign:
            f.kill()
            f.wait()
    assert "Address already in use" in (tmp_path / "slow.log").read_text()


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_cache_dir_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ISOLDE_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("ISOLDE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x" / "isolde"


def test_install_is_cached_outside_the_repository(dynamodb_local_installed: None,
                                                  dynalite_installed: None) -> None:
    repo = Path(__file__).resolve().parents[2]
    for spec in (DYNAMODB_LOCAL, DYNALITE):
        assert spec.installed()
        assert repo not in spec.install_dir.parents
        assert spec.install() == spec.install_dir  # second install: nothing to do


@pytest.mark.parametrize("name", ["dynalite", "moto"])  # DynamoDB Local: test_conformance
def test_real_emulators_start_and_stop(name: str, request: pytest.FixtureRequest,
                                       tmp_path: Path) -> None:
    if name != "moto":
        request.getfixturevalue(f"{name.replace('-', '_')}_installed")

    async def go() -> tuple[int, int | None]:
        emu = make_emulator(name, log_dir=tmp_path)
        host, port = await emu.start()
        assert host == "127.0.0.1" and await http_ready(host, port)
        pc = emu.process_control
        pid = pc.pid if pc is not None else None
        await emu.stop()
        return port, pid

    port, pid = asyncio.run(go())
    assert not port_open("127.0.0.1", port)
    if pid is not None:
        assert gone(pid)
        assert (tmp_path / f"{name}.log").exists()


def test_unknown_or_non_persistent_emulators_are_refused() -> None:
    with pytest.raises(UsageError, match="unknown emulator"):
        make_emulator("cassandra")
    with pytest.raises(EmulatorError, match="no persistent mode"):
        make_emulator("moto", persistent=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_an_emulator_dies_with_an_isolde_killed_by_sigkill(tmp_path: Path) -> None:
    import signal
    import subprocess
    import time

    script = f"""
import asyncio, sys, time
from pathlib import Path
from isolde.harness.emulators import ManagedProcess
p = ManagedProcess("http", lambda port: [sys.executable, "-m", "http.server", "--bind",
                   "127.0.0.1", str(port)], Path({str(tmp_path)!r}) / "h.log")
asyncio.run(p.start())
print(p.pid, flush=True)
time.sleep(60)
"""
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{child}/stat").read_text().split()[2]
            except FileNotFoundError:
                break
            if state == "Z":  # dead; only our init may leave it unreaped
                break
            time.sleep(0.05)
        else:
            os.kill(child, 9)
            pytest.fail("the emulator outlived the process that started it")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
