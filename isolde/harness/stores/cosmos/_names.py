"""The run's database and container: both named ``isolde-<run id>``; any other name is refused,
on create and on delete, so isolde never touches what it did not create."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from ...._errors import UsageError

PREFIX = "isolde-"


def check_name(name: str) -> str:
    if not name.startswith(PREFIX) or len(name) > 255 or any(c in name for c in "/\\?#"):
        raise UsageError(f"refusing database {name!r}: isolde only creates and deletes "
                         f"databases named {PREFIX}* (without / \\ ? #)")
    return name


def new_name() -> str:
    """A UTC timestamp and a random suffix: unique across concurrent runs."""
    return f"{PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
