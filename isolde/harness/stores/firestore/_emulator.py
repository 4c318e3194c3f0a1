"""Google's Cloud Firestore emulator: a jar that ships with the Google Cloud CLI (the Debian
package ``google-cloud-cli-firestore-emulator``). It is on neither PyPI nor npm, so isolde
*locates* it rather than installing it: ``$ISOLDE_FIRESTORE_EMULATOR_JAR``, then the SDK root
``gcloud info`` names, then the well-known install paths.

The JVM is started directly: gcloud's wrapper script does not ``exec`` it, so killing the
wrapper would orphan the JVM (and its port). The emulator keeps everything in memory.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ...emulators import EmulatorError, EmulatorSpec

ENV_JAR = "ISOLDE_FIRESTORE_EMULATOR_JAR"
JAR = Path("platform/cloud-firestore-emulator/cloud-firestore-emulator.jar")
MAIN = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
WELL_KNOWN = (Path("/usr/lib/google-cloud-sdk"), Path("/usr/share/google-cloud-sdk"),
              Path("/opt/google-cloud-sdk"), Path.home() / "google-cloud-sdk")
PROJECT = "isolde"  # the emulator serves any project id; the clients name this one
HOW_TO_GET = ("install the Google Cloud CLI's Firestore emulator (Debian: apt-get install "
              "google-cloud-cli-firestore-emulator; else: gcloud components install "
              f"cloud-firestore-emulator), or point ${ENV_JAR} at cloud-firestore-emulator.jar")


@functools.cache
def _gcloud_root() -> Path | None:
    """The SDK root ``gcloud info`` reports (None without gcloud, or when it cannot say)."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        return None
    try:
        out = subprocess.run([gcloud, "info", "--format=value(installation.sdk_root)"],
                             capture_output=True, text=True, timeout=30, check=False,
                             stdin=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out) if out else None


def candidates() -> list[tuple[str, Path]]:
    """Where the jar may be, in the order it is looked for, each with where the place came
    from."""
    found: list[tuple[str, Path]] = []
    env = os.environ.get(ENV_JAR)
    if env:  # the override wins, even when wrong: a typo must not fall back silently
        return [(f"${ENV_JAR}", Path(env))]
    root = _gcloud_root()
    if root is not None:
        found.append(("gcloud info", root / JAR))
    found += [("well-known path", r / JAR) for r in WELL_KNOWN]
    return found


@dataclass(frozen=True)
class FirestoreEmulatorSpec(EmulatorSpec):
    """The located jar, run on the JVM with a heap cap (two JVMs share small machines)."""

    heap: str = "512m"

    def locate(self) -> Path | None:
        return next((p for _where, p in candidates() if p.is_file()), None)

    def installed(self) -> bool:
        return self.locate() is not None

    def status(self) -> str:
        jar = self.locate()
        if jar is None:
            looked = ", ".join(f"{p} ({where})" for where, p in candidates())
            return f"not found (looked in {looked}): {HOW_TO_GET}"
        if shutil.which(self.runtime) is None:
            return f"found at {jar}, but {self.runtime!r} is not on PATH"
        return f"found at {jar}"

    def install(self) -> Path:
        jar = self.locate()
        if jar is None:
            raise EmulatorError(f"{self.name}: isolde cannot download it: {HOW_TO_GET}")
        return jar

    def require_installed(self) -> Path:
        jar = self.locate()
        if jar is None:
            raise EmulatorError(f"{self.name} not found: {HOW_TO_GET}")
        if shutil.which(self.runtime) is None:
            raise EmulatorError(f"{self.name} needs {self.runtime!r} on PATH")
        return jar

    def argv(self, port: int, data_dir: Path | None) -> Sequence[str]:
        jar = self.require_installed()
        # -Duser.language=en: its messages (matched in the log) are English.
        return [self.runtime, f"-Xmx{self.heap}", "-Duser.language=en", "-cp", str(jar), MAIN,
                "start", "--host=127.0.0.1", f"--port={port}", f"--project_id={PROJECT}"]


FIRESTORE_EMULATOR = FirestoreEmulatorSpec(
    "firestore-emulator", "cloud-firestore-emulator", "java", False,
    "Google's Cloud Firestore emulator (a jar of the Google Cloud CLI; in memory)",
)
