"""cosmosdb-server: a Node reimplementation of Cosmos DB's SQL/REST API (npm
``@vercel/cosmosdb-server``), the only Cosmos emulator that runs here without Docker or Windows.

It is run in its plain-HTTP mode (``--no-ssl``): its HTTPS mode costs ~20 ms a request. Its data
is in memory only, so a ``kill`` loses everything it held.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from ...emulators import HOST, EmulatorSpec, npm_install


class CosmosServerSpec(EmulatorSpec):
    marker: ClassVar[str] = "node_modules/@vercel/cosmosdb-server/lib/cli.js"

    def install(self) -> Path:
        return npm_install(self.package, self.install_dir, self.marker)

    def argv(self, port: int, data_dir: Path | None) -> Sequence[str]:
        return [self.runtime, str(self.install_dir / self.marker), "--host", HOST,
                "--port", str(port), "--no-ssl"]


COSMOSDB_SERVER = CosmosServerSpec(
    "cosmosdb-server", "@vercel/cosmosdb-server@1.0.1", "node", False,
    "cosmosdb-server 1.0.1, Cosmos DB's SQL API in Node (memory only; no transactional batch)",
)
