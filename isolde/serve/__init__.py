"""``isolde serve``: a read-only web view of a store directory's runs (aiohttp, the ``serve``
extra). Importing this package does not import aiohttp; serving does."""

from ._cli import DEFAULT_PORT, add_parser, run
from ._runs import RunInfo, find_runs

__all__ = ["DEFAULT_PORT", "RunInfo", "add_parser", "find_runs", "run"]
