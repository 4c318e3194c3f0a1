"""The emulators isolde knows: how to install each, and the command that starts it.

DynamoDB Local is Amazon's jar, taken from the npm package ``amplify-dynamodb-simulator`` (its
licence forbids redistributing it, so it is fetched at install time and never committed);
dynalite is a Node implementation of the DynamoDB API on LevelDB; moto runs in-process (see
:mod:`._moto`).
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ._cache import emulators_dir
from ._install import npm_install, npm_pack_extract
from ._process import EmulatorError


@dataclass(frozen=True)
class EmulatorSpec:
    """An installable emulator process. ``persistent``: it can keep data in a directory."""

    name: str
    package: str
    runtime: str  # the executable it runs on
    persistent: bool
    description: str

    @property
    def install_dir(self) -> Path:
        return emulators_dir() / self.package.replace("@", "-").replace("/", "-")

    marker: ClassVar[str] = ""  # a file under install_dir present once the install completed
    env: ClassVar[dict[str, str]] = {}  # set in the emulator's environment

    def installed(self) -> bool:
        return (self.install_dir / self.marker).exists()

    def install(self) -> Path:
        raise NotImplementedError

    def require_installed(self) -> Path:
        if not self.installed():
            raise EmulatorError(
                f"{self.name} is not installed: run `isolde emulator install {self.name}`"
            )
        if shutil.which(self.runtime) is None:
            raise EmulatorError(f"{self.name} needs {self.runtime!r} on PATH")
        return self.install_dir

    def argv(self, port: int, data_dir: Path | None) -> Sequence[str]:
        raise NotImplementedError


class DynamoDBLocalSpec(EmulatorSpec):
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


class DynaliteSpec(EmulatorSpec):
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
EMULATORS: dict[str, EmulatorSpec] = {e.name: e for e in (DYNAMODB_LOCAL, DYNALITE)}
MOTO_DESCRIPTION = "moto 5.2.5 in-process server (pip extra `moto`; memory only)"


def moto_installed() -> bool:
    return importlib.util.find_spec("moto") is not None


def get_spec(name: str) -> EmulatorSpec:
    spec = EMULATORS.get(name)
    if spec is None:
        known = ", ".join(sorted([*EMULATORS, "moto"]))
        raise EmulatorError(f"unknown emulator {name!r} (known: {known})")
    return spec
