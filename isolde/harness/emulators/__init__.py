"""Managing real emulator processes: install into the user cache, start on 127.0.0.1 with
readiness checks and captured logs, signal, stop and reap. Which emulators exist is said by the
stores (each ``StoreSpec.emulator``)."""

from ._cache import cache_dir, emulators_dir
from ._catalog import EmulatorSpec, get_recipe, recipes
from ._install import npm_install, npm_pack_extract
from ._process import HOST, EmulatorError, ManagedProcess, free_port, http_ready, port_open
from ._running import ProcessEmulator, make_emulator

__all__ = [
    "HOST",
    "EmulatorError",
    "EmulatorSpec",
    "ManagedProcess",
    "ProcessEmulator",
    "cache_dir",
    "emulators_dir",
    "free_port",
    "get_recipe",
    "http_ready",
    "make_emulator",
    "npm_install",
    "npm_pack_extract",
    "port_open",
    "recipes",
]
