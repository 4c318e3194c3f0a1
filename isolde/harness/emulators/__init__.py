"""Managing real emulator processes (DynamoDB Local, moto, dynalite): install into the user
cache, start on 127.0.0.1 with readiness checks and captured logs, signal, stop and reap."""

from ._cache import cache_dir, emulators_dir
from ._catalog import DYNALITE, DYNAMODB_LOCAL, EMULATORS, EmulatorSpec, get_spec, moto_installed
from ._process import HOST, EmulatorError, ManagedProcess, free_port, http_ready, port_open
from ._running import Emulator, MotoEmulator, ProcessEmulator, make_emulator

__all__ = [
    "DYNALITE",
    "DYNAMODB_LOCAL",
    "EMULATORS",
    "HOST",
    "Emulator",
    "EmulatorError",
    "EmulatorSpec",
    "ManagedProcess",
    "MotoEmulator",
    "ProcessEmulator",
    "cache_dir",
    "emulators_dir",
    "free_port",
    "get_spec",
    "http_ready",
    "make_emulator",
    "moto_installed",
    "port_open",
]
