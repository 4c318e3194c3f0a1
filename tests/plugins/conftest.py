"""The example store plugin of docs/stores.md, pip-installed as a user would install it (into a
directory of the test package, put on the path, so the environment itself stays as it was)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from isolde.harness.stores import STORES

from ..conftest import ROOT

EXAMPLE = ROOT / "examples" / "isolde-sqlite-store"


def env_with(path: Path) -> dict[str, str]:
    """The environment with ``path`` first on PYTHONPATH (for ``python -m isolde``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="package")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where ``pip install`` put the example plugin; on sys.path for this package's tests only
    (the rest of the suite compares this process's registries with a plain ``isolde``)."""
    base = tmp_path_factory.mktemp("example")
    src = base / "src"
    shutil.copytree(EXAMPLE, src)  # pip builds in the source tree: keep the checkout clean
    site = base / "site"
    # Offline and without build isolation: setuptools and wheel come with the dev extra.
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                        "--no-build-isolation", "--quiet", "--target", str(site), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    sys.path.insert(0, str(site))
    STORES.reset()
    try:
        yield site
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("isolde_sqlite", None)
        STORES.reset()
