"""Credentials written into a URL (``http://user:secret@host``) never reach the screen, a log or
a file isolde writes: the user part is replaced by ``***``."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


def url_secrets(url: str | None) -> tuple[str, ...]:
    """The user name and password in ``url`` (to mask wherever they might be echoed)."""
    if not url:
        return ()
    parts = urlsplit(url)
    return tuple(v for v in (parts.username, parts.password) if v)
