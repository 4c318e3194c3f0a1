"""The DynamoDB emulators: their recipes (install, start, stop) and moto's in-process server.

DynamoDB Local is Amazon's jar, taken from the npm package ``amplify-dynamodb-simulator`` (its
licence forbids redistributing it, so it is fetched at install time and never committed);
dynalite is a Node implementation of the DynamoDB API on LevelDB; moto runs in a thread of this
process (:class:`MotoEmulator`), so its "process control" is :class:`MotoControl`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ...emulators import HOST, EmulatorError, EmulatorSpec, npm_install, npm_pack_extract

log = logging.getLogger("isolde.emulators")


def paste_line(host: str, port: int) -> str:
    """The command that runs isolde against a DynamoDB emulator someone else started: the cloud
    audit's path with dummy credentials (an emulator accepts any) and a region (the SDK wants
    one)."""
    return (f"AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x isolde run --store dynamodb "
            f"--endpoint-url http://{host}:{port} --region us-east-1 --yes")


class _DynamoEmulatorSpec(EmulatorSpec):
    def paste_line(self, host: str, port: int) -> str:
        return paste_line(host, port)


class DynamoDBLocalSpec(_DynamoEmulatorSpec):
    marker: ClassVar[str] = "DynamoDBLocal.jar"
    env: ClassVar[dict[str, str]] = {"DDB_LOCAL_TELEMETRY": "0"}  # with -disableTelemetry

    def install(self) -> Path:
        return npm_pack_extract(self.package, "emulator", self.install_dir, self.marker)

    def argv(self, port: int, data_dir: Path | None) -> Sequence[str]:
        d = self.install_dir
        storage = ["-dbPath", str(data_dir)] if data_dir is not None else ["-inMemory"]
        # No bind flag exists: it listens on all interfaces; isolde only ever connects to
        # 127.0.0.1. -Xmx keeps two JVMs from crowding a small machine.
        return [self.runtime, "-Xmx1g", f"-Djava.library.path={d / 'DynamoDBLocal_lib'}",
                "-jar", str(d / "DynamoDBLocal.jar"), *storage, "-sharedDb",
                "-disableTelemetry", "-port", str(port)]


class DynaliteSpec(_DynamoEmulatorSpec):
    marker: ClassVar[str] = "node_modules/dynalite/cli.js"

    def install(self) -> Path:
        return npm_install(self.package, self.install_dir, self.marker)

    def argv(self, port: int, data_dir: Path | None) -> Sequence[str]:
        storage = ["--path", str(data_dir)] if data_dir is not None else []
        return [self.runtime, str(self.install_dir / self.marker), "--host", "127.0.0.1",
                "--port", str(port), "--createTableMs", "0", "--deleteTableMs", "0",
                "--updateTableMs", "0", *storage]


DYNAMODB_LOCAL = DynamoDBLocalSpec(
    "dynamodb-local", "amplify-dynamodb-simulator@2.9.30", "java", True,
    "Amazon DynamoDB Local 1.25.1 (the faithful target; transactions)",
)
DYNALITE = DynaliteSpec(
    "dynalite", "dynalite@4.0.0", "node", True,
    "dynalite 4.0.0, the DynamoDB API on LevelDB (no transactions, no streams)",
)


class MotoControl:
    """kill / restart for moto's in-process server (no pause: a thread cannot be stopped). Its
    "kill" wipes the state (``/moto-api/reset``, what a kill -9 of a memory-only server loses)
    and stops the server; the restart serves again on the same port."""

    persistent = False  # a reset wipes everything
    pid = None  # a thread of this process

    def __init__(self, emulator: MotoEmulator) -> None:
        self.emulator = emulator

    @property
    def running(self) -> bool:
        return self.emulator.server is not None

    def kill(self) -> None:
        ep = self.emulator.endpoint
        if ep is None:
            return
        req = urllib.request.Request(f"http://{ep[0]}:{ep[1]}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=5):  # the emulator, on loopback
            pass
        self.emulator.server.stop()
        self.emulator.server = None

    async def restart(self) -> None:
        if self.emulator.server is None:
            await self.emulator.start()  # its port is kept: clients and proxy find it again

    def pause(self) -> None:
        # The store says it is not pausable, so the nemesis never asks; code that does is wrong.
        raise EmulatorError("moto runs as a thread inside isolde: it cannot be paused")

    def resume(self) -> None:
        return None


class MotoEmulator:
    """moto's ThreadedMotoServer on 127.0.0.1 (memory only)."""

    name = "moto"
    persistent = False

    def __init__(self, port: int | None = None, log_dir: Path | None = None) -> None:
        self.port = port
        self.log_dir = log_dir
        self.server: Any = None
        self._handler: logging.Handler | None = None
        self._control = MotoControl(self)

    @property
    def endpoint(self) -> tuple[str, int] | None:
        return (HOST, self.port) if self.server is not None and self.port else None

    @property
    def process_control(self) -> MotoControl:
        return self._control

    async def start(self) -> tuple[str, int]:
        if self.server is not None:
            assert self.endpoint is not None
            return self.endpoint
        if not MOTO.installed():
            raise EmulatorError("moto is not installed: pip install 'isolde[moto]'")
        from moto.server import ThreadedMotoServer

        # werkzeug logs every request at INFO: costly, and noise. Keep its warnings in the run.
        wz = logging.getLogger("werkzeug")
        wz.setLevel(logging.WARNING)
        if self.log_dir is not None and self._handler is None:
            self._handler = logging.FileHandler(self.log_dir / "moto.log")
            wz.addHandler(self._handler)
        # Port 0: the OS picks a free port at bind time, so there is no race to lose.
        self.server = ThreadedMotoServer(ip_address=HOST, port=self.port or 0, verbose=False)
        await asyncio.to_thread(self.server.start)
        self.port = int(self.server.get_host_and_port()[1])
        log.info("moto: in-process server on %s:%d", HOST, self.port)
        return (HOST, self.port)

    async def stop(self) -> None:
        if self.server is not None:
            await asyncio.to_thread(self.server.stop)
            self.server = None
        if self._handler is not None:
            logging.getLogger("werkzeug").removeHandler(self._handler)
            self._handler.close()
            self._handler = None


class MotoRecipe:
    """moto comes with isolde's ``moto`` extra: nothing to download, nothing to locate."""

    name = "moto"
    description = "moto 5.2.5 in-process server (pip extra `moto`; memory only)"
    persistent = False

    def installed(self) -> bool:
        return importlib.util.find_spec("moto") is not None

    def status(self) -> str:
        return "installed" if self.installed() else "not installed: pip install 'isolde[moto]'"

    def install(self) -> Path:
        raise EmulatorError("moto is a Python package: pip install 'isolde[moto]'")

    def paste_line(self, host: str, port: int) -> str:
        return paste_line(host, port)

    def make(self, port: int | None = None, data_dir: Path | None = None,
             log_dir: Path | None = None, persistent: bool = False) -> MotoEmulator:
        if persistent or data_dir is not None:
            raise EmulatorError("moto has no persistent mode")
        return MotoEmulator(port, log_dir)


MOTO = MotoRecipe()
