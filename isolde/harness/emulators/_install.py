"""Installing emulators from npm into the cache: atomically (temp dir + rename), under a lock.

npm verifies each package's registry integrity hash, so no separate checksum is kept here.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ._cache import emulators_dir, locked
from ._process import EmulatorError

log = logging.getLogger("isolde.emulators")


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise EmulatorError("npm not found on PATH: install Node.js and npm to install emulators")
    return npm


def _run(argv: list[str], cwd: Path, what: str) -> str:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise EmulatorError(f"{what} failed (exit {proc.returncode}): {tail}")
    return proc.stdout


def _finish(tmp: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    return dest


def npm_pack_extract(package: str, member: str, dest: Path, marker: str) -> Path:
    """``npm pack PACKAGE`` and extract its ``package/MEMBER/`` tree as ``dest``.

    ``marker`` is a file (relative to ``dest``) whose presence means the install is complete.
    """
    with locked(dest.name):
        if (dest / marker).exists():
            return dest
        base = emulators_dir()
        with tempfile.TemporaryDirectory(dir=base, prefix=f".{dest.name}-") as work:
            w = Path(work)
            out = _run([_npm(), "pack", package, "--json", "--pack-destination", str(w)], w,
                       f"npm pack {package}")
            filename = json.loads(out)[0]["filename"]
            target = w / "tree"
            prefix = f"package/{member}/"
            with tarfile.open(w / filename) as tar:
                members = [m for m in tar.getmembers() if m.name.startswith(prefix)
                           and (m.isfile() or m.isdir())]
                if not members:
                    raise EmulatorError(f"{package}: no {member}/ in the npm package")
                for m in members:
                    m.name = m.name[len(prefix):] or "."
                if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: refuse unsafe members
                    tar.extractall(target, members=members, filter="data")
                else:  # pragma: no cover - older 3.11 patch releases
                    tar.extractall(target, members=members)
            if not (target / marker).exists():
                raise EmulatorError(f"{package}: {marker} missing from the npm package")
            log.info("installed %s into %s", package, dest)
            return _finish(target, dest)


def npm_install(package: str, dest: Path, marker: str) -> Path:
    """``npm install PACKAGE`` into ``dest`` (a private prefix with its own node_modules)."""
    with locked(dest.name):
        if (dest / marker).exists():
            return dest
        base = emulators_dir()
        with tempfile.TemporaryDirectory(dir=base, prefix=f".{dest.name}-") as work:
            target = Path(work) / "tree"
            target.mkdir()
            _run([_npm(), "install", "--prefix", str(target), "--no-audit", "--no-fund",
                  "--omit=dev", "--no-save", package], target, f"npm install {package}")
            if not (target / marker).exists():
                raise EmulatorError(f"{package}: {marker} missing after npm install")
            log.info("installed %s into %s", package, dest)
            return _finish(target, dest)
