"""Emulator recipes: the common shape of an emulator installed into the user cache and run as a
process, and the lookup of every store's recipe by name.

Each store package declares its own recipe (``StoreSpec.emulator``); this module knows none by
name.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..._errors import UsageError
from ._cache import emulators_dir
from ._process import EmulatorError

if TYPE_CHECKING:
    from .._plugin import EmulatorRecipe
    from ._running import ProcessEmulator


@dataclass(frozen=True)
class EmulatorSpec:
    """An emulator installed from a package into the user cache and run as a process.
    ``persistent``: it can keep data in a directory. Subclasses say how to install it and the
    command that starts it."""

    name: str
    package: str
    runtime: str  # the executable it runs on
    persistent: bool
    description: str

    @property
    def install_dir(self) -> Path:
        # A scoped npm name (@scope/name@1.0) makes scope-name-1.0, with no leading dash.
        return emulators_dir() / self.package.lstrip("@").replace("@", "-").replace("/", "-")

    marker: ClassVar[str] = ""  # a file under install_dir present once the install completed
    env: ClassVar[dict[str, str]] = {}  # set in the emulator's environment

    def installed(self) -> bool:
        return (self.install_dir / self.marker).exists()

    def status(self) -> str:
        if not self.installed():
            return f"not installed: isolde emulator install {self.name}"
        if shutil.which(self.runtime) is None:
            return f"installed in {self.install_dir}, but {self.runtime!r} is not on PATH"
        return f"installed in {self.install_dir}"

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

    def paste_line(self, host: str, port: int) -> str:
        raise NotImplementedError

    def make(self, port: int | None = None, data_dir: Path | None = None,
             log_dir: Path | None = None, persistent: bool = False) -> ProcessEmulator:
        from ._running import ProcessEmulator

        return ProcessEmulator(self, port, persistent, data_dir, log_dir)


def recipes() -> dict[str, EmulatorRecipe]:
    """The emulator recipes of every store that loads, by emulator name."""
    from ..stores import STORES

    specs, _broken = STORES.load_all()
    out: dict[str, EmulatorRecipe] = {}
    for spec in specs.values():
        if spec.emulator is not None:
            out.setdefault(spec.emulator.name, spec.emulator)
    return out


def get_recipe(name: str) -> EmulatorRecipe:
    found = recipes()
    if name not in found:
        raise UsageError(f"unknown emulator {name!r} (known: {', '.join(sorted(found))})")
    return found[name]
