"""A managed emulator process: free port, new session, captured log, readiness, signals, reaping.

Every process is started in its own session (so signals reach the whole group and a Ctrl-C at the
terminal does not), its output goes to a log file, and it is always ``wait()``-ed after it ends
(PID 1 on these machines does not reap zombies). An ``atexit`` hook kills any still running, and
on Linux each is set to be killed if the isolde process that started it dies (even by kill -9).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..._errors import IsoldeError

log = logging.getLogger("isolde.emulators")
HOST = "127.0.0.1"
# Messages by which Java, Node and Python say the port was taken between our probe and their bind.
_PORT_TAKEN = ("Address already in use", "EADDRINUSE", "BindException")


def _libc_prctl() -> Any:
    """prctl(2) from libc, looked up once in the parent (never in a forked child)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return None


_PRCTL = _libc_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL me when the process that started me dies, so an
    emulator never outlives an isolde (or pytest) that was itself killed -9. Only an async-safe
    system call runs here."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


class EmulatorError(IsoldeError):
    """An emulator that is missing, will not start, or died (one line, exit 255)."""


def free_port(host: str = HOST) -> int:
    """A port free on ``host`` right now (the OS picks it; a race with others is retried)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


async def http_ready(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something at host:port answers an HTTP request with an HTTP status line."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(f"GET / HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        return line.startswith(b"HTTP/")
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def port_open(host: str, port: int) -> bool:
    """True when a TCP connection to host:port succeeds right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _listening_inodes(port: int) -> set[str]:
    """Inodes of the sockets listening on ``port`` (any address), from /proc/net/tcp{,6}."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as fh:
            next(fh, None)  # the header
            for row in fh:
                f = row.split()
                if len(f) > 9 and f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                    found.add(f[9])
    return found


def _group_sockets(pgid: int) -> set[str]:
    """Inodes of every socket open in process group ``pgid`` (a launcher may leave the
    listening socket to a child)."""
    found: set[str] = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                # pgrp is the 3rd field after the parenthesised command, which may hold spaces
                if int(fh.read().rsplit(")", 1)[1].split()[2]) != pgid:
                    continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    found.add(link[8:-1])
        except (OSError, ValueError, IndexError):
            continue  # gone, or not ours to read
    return found


def serves_port(pgid: int, port: int) -> bool | None:
    """Whether the listener on ``port`` belongs to process group ``pgid``; None where /proc
    cannot tell (not Linux). Another server can take a port between our probe and a slow
    starter's bind (a JVM binds seconds after it starts): its readiness answer must not pass for
    ours, or the run's requests go to a store isolde did not start."""
    if not os.path.isdir("/proc/net"):
        return None
    listening = _listening_inodes(port)
    return bool(listening) and bool(listening & _group_sockets(pgid))


# Strong references: a process must be killed at exit even if its owner was dropped.
_LIVE: set[ManagedProcess] = set()


@atexit.register
def _kill_leftovers() -> None:
    for p in list(_LIVE):
        p.kill()


class ManagedProcess:
    """One emulator process on ``HOST``. ``argv(port)`` builds its command line.

    ``start``/``restart`` wait until it answers HTTP; ``kill`` (SIGKILL), ``pause`` (SIGSTOP),
    ``resume`` (SIGCONT) act on its process group; ``stop`` terminates it gracefully. All of them
    reap the process. Restarts reuse the port (and whatever data directory ``argv`` names).
    """

    def __init__(
        self,
        name: str,
        argv: Callable[[int], Sequence[str]],
        log_path: Path,
        port: int | None = None,
        ready_timeout: float = 60.0,
        env: dict[str, str] | None = None,
        persistent: bool = False,
    ) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.port = port
        self.fixed_port = port is not None
        self.ready_timeout = ready_timeout
        self.env = env
        self.persistent = persistent  # restart keeps the data (a data directory)
        self.proc: subprocess.Popen[bytes] | None = None
        self.paused = False

    @property
    def endpoint(self) -> tuple[str, int] | None:
        return (HOST, self.port) if self.port is not None else None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _spawn(self, port: int) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            out.write(f"--- isolde: starting {self.name} on {HOST}:{port} ---\n".encode())
            out.flush()
            # Its working directory is its log's: DynamoDB Local writes a metadata file into
            # its cwd, which must not be the caller's.
            self.proc = subprocess.Popen(
                list(self.argv(port)), stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
                env={**os.environ, **self.env} if self.env else None, cwd=self.log_path.parent,
            )
        self.paused = False
        _LIVE.add(self)
        log.info("%s: pid %d on %s:%d, log %s", self.name, self.proc.pid, HOST, port,
                 self.log_path)

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    async def _await_ready(self, port: int) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                code = self.proc.wait()
                tail = self._log_tail()
                if any(m in tail for m in _PORT_TAKEN):
                    raise _PortTaken(tail)
                raise EmulatorError(
                    f"{self.name} exited with code {code} while starting "
                    f"(log {self.log_path}): {tail}"
                )
            if await http_ready(HOST, port) and serves_port(self.proc.pid, port) is not False:
                return
            # Not answering yet, or another process answers: ours then fails to bind and exits
            # (port taken, retried on another port) or binds once the other lets go.
            await asyncio.sleep(0.05)
        self.kill()
        raise EmulatorError(
            f"{self.name} not ready on {HOST}:{port} after {self.ready_timeout:.0f}s "
            f"(log {self.log_path}): {self._log_tail()}"
        )

    async def start(self) -> None:
        """Start on the configured port (or a free one, retried if another process grabs it)."""
        if self.running:
            return
        for _attempt in range(3):
            port = self.port if self.fixed_port and self.port is not None else free_port()
            if port_open(HOST, port):  # else the readiness probe would find the other server
                if self.fixed_port:
                    raise EmulatorError(f"{self.name}: port {port} is in use")
                continue
            self._spawn(port)
            self.port = port
            try:
                await self._await_ready(port)
                return
            except _PortTaken as e:
                if self.fixed_port:
                    raise EmulatorError(f"{self.name}: port {port} is in use: {e}") from None
                log.info("%s: port %d taken, retrying on another", self.name, port)
            except BaseException:
                self.kill()  # cancelled or failed mid-start: leave nothing running
                raise
        raise EmulatorError(f"{self.name}: could not find a free port after 3 attempts")

    def _signal(self, sig: int) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        return True

    def kill(self) -> None:
        """SIGKILL the process group and reap it (a no-op when not running)."""
        if self.proc is None:
            return
        self._signal(signal.SIGKILL)
        self.proc.wait()
        self.paused = False
        _LIVE.discard(self)

    def pause(self) -> None:
        """SIGSTOP: the process keeps its sockets but answers nothing until ``resume``."""
        if self._signal(signal.SIGSTOP):
            self.paused = True

    def resume(self) -> None:
        """SIGCONT after ``pause``."""
        if self._signal(signal.SIGCONT):
            self.paused = False

    async def restart(self) -> None:
        """Kill if running, then start again on the same port and wait until ready."""
        self.kill()
        if self.port is None:
            raise EmulatorError(f"{self.name}: restart before the first start")
        self.fixed_port = True  # clients know this port: never move it
        await self.start()

    async def stop(self, grace: float = 5.0) -> None:
        """SIGTERM (after SIGCONT, in case it is paused), then SIGKILL after ``grace`` seconds."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal(signal.SIGCONT)
            self._signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            while self.proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        self.kill()


class _PortTaken(Exception):
    pass
