"""The connection to DynamoDB: configuration as boto3 users know it, one shared aiobotocore
client, every request counted, and transient errors retried only when that is safe.

botocore's own retries are switched off: it would resend a non-idempotent write after a timeout
(a duplicate append) and hide what happened. Here a request is retried only when it certainly
did not apply (throttled, no connection) or when resending it is harmless (reads, and
transactions carrying the same ClientRequestToken).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ...._errors import UsageError
from ...._redact import redact_url
from ..._client_faults import ClientFaults
from ..._options import option
from .._attempts import Attempts
from ._cost import Usage, units
from ._errors import AfterMaybeApplied, classify
from ._faults import attach

log = logging.getLogger("isolde.dynamodb")
# Retries made for the op the current task is serving (the client records them in the op).
RETRIES: contextvars.ContextVar[int] = contextvars.ContextVar("isolde_retries", default=0)

# Dummy credentials for local emulators, so a user's real keys are never sent to them.
EMULATOR_CREDENTIALS = {"aws_access_key_id": "isolde", "aws_secret_access_key": "isolde"}
_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b")


@dataclass
class DynamoOptions:
    """How to reach DynamoDB and how to behave there (all optional; boto3's defaults apply).
    The fields made with ``option`` are flags of every DynamoDB store; the subclasses below add
    the flags of the cloud store and of the emulators with a persistent mode."""

    region: str | None = None  # else AWS_REGION / AWS_DEFAULT_REGION / the profile's region
    profile: str | None = None  # a named profile; credentials otherwise from the standard chain
    endpoint_url: str | None = None  # e.g. http://127.0.0.1:8000 for an emulator
    table: str | None = option(None, "name of the table to create (must start with isolde-)")
    keep: bool = option(False, "keep the table after the run")
    connect_timeout: float = 2.0
    read_timeout: float = 4.0  # below the runner's default 5 s op timeout: we classify first
    retries: int = 2  # extra attempts for a transient error, when a retry is safe
    occ_attempts: int = 5  # read-validate-write attempts for a multi-key read+write txn
    default_read: str = "strong"  # the read mode of an op without a ``consistency`` field
    bank_mode: str = "txn"  # bank transfers without a ``bank_mode`` field: txn | rmw
    pool: int = 64  # max HTTP connections (one per concurrent op is enough)
    dummy_credentials: bool = False  # emulators: never use the caller's real credentials
    # Emulator stores only:
    port: int | None = None
    persistent: bool = False  # DynamoDB Local -dbPath / dynalite --path: data survives kill -9
    data_dir: str | None = None
    # The cloud store only: the user accepted the audit's plan.
    yes: bool = False


def endpoint_url(url: str) -> str:
    """``--endpoint-url``: http(s)://HOST[:PORT], with no credentials in it (requests are signed
    with AWS credentials from the standard chain; a URL cannot carry any)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--endpoint-url {redact_url(url)!r}: expected http://HOST[:PORT] or "
                         "https://HOST[:PORT]")
    try:
        parts.port  # noqa: B018 -- parsing the port is the check
    except ValueError:
        raise UsageError(f"--endpoint-url {redact_url(url)!r}: bad port") from None
    if "@" in parts.netloc:
        raise UsageError(f"--endpoint-url {redact_url(url)!r}: no user or password in the URL "
                         "(credentials come from the AWS chain)")
    return url


@dataclass
class CloudOptions(DynamoOptions):
    """``--store dynamodb``: AWS, or any endpoint."""

    region: str | None = option(None, "AWS region (else from your AWS config)")
    profile: str | None = option(None, "AWS named profile (else the standard chain)")
    endpoint_url: str | None = option(None, "send DynamoDB requests here (e.g. an emulator "
                                      "you run)", metavar="URL", parse=endpoint_url)
    yes: bool = option(False, "accept the cloud audit's plan and estimated cost")


@dataclass
class PersistentOptions(DynamoOptions):
    """The emulators with a persistent mode (DynamoDB Local, dynalite)."""

    persistent: bool = option(False, "keep the emulator's data on disk, so it survives kill -9")


class Secrets:
    """Credential values to keep out of logs, histories and reports."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def add(self, *values: str | None) -> None:
        self.values.update(v for v in values if v and len(v) >= 4)

    def redact(self, text: str) -> str:
        for v in self.values:
            text = text.replace(v, "***")
        return _KEY_ID.sub("***", text)


_SESSIONS: dict[str | None, Any] = {}


def _session(factory: Any, profile: str | None) -> Any:
    """One session per profile per process: a session parses botocore's service and endpoint
    models (a quarter second of CPU), which every client it creates then shares."""
    if profile not in _SESSIONS:
        _SESSIONS[profile] = factory(profile=profile)
    return _SESSIONS[profile]


class Api:
    """A shared aiobotocore DynamoDB (or DynamoDB Streams) client. ``call`` counts each request
    and retries it when the error is transient and either certainly not applied or the request
    is idempotent."""

    def __init__(self, options: DynamoOptions, endpoint_url: str | None, usage: Usage,
                 secrets: Secrets, seed: int = 0, admin: bool = False,
                 service: str = "dynamodb") -> None:
        self.options = options
        self.service = service  # or "dynamodbstreams": the table's change stream
        # Table administration is not under test: patient timeouts, so a slow (just restarted,
        # busy) emulator does not fail setup or teardown.
        self.admin = admin
        self.endpoint_url = endpoint_url
        self.usage = usage
        self.secrets = secrets
        self.rng = random.Random(f"{seed}/dynamodb-backoff")
        self.client: Any = None
        self.faults: ClientFaults | None = None  # client-path fault switches, on every request
        self.region: str | None = None
        self._stack = contextlib.AsyncExitStack()

    async def open(self) -> None:
        try:
            from aiobotocore.config import AioConfig
            from aiobotocore.session import AioSession
            from botocore.exceptions import NoRegionError, ProfileNotFound
        except ImportError:
            raise UsageError(
                "the DynamoDB stores need aiobotocore: pip install 'isolde[dynamodb]'"
            ) from None
        o = self.options
        try:
            session = _session(AioSession, o.profile)
            config = AioConfig(
                connect_timeout=max(o.connect_timeout, 10.0) if self.admin else o.connect_timeout,
                read_timeout=max(o.read_timeout, 60.0) if self.admin else o.read_timeout,
                retries={"total_max_attempts": 1}, max_pool_connections=o.pool,
            )
            kwargs: dict[str, Any] = {"region_name": o.region, "endpoint_url": self.endpoint_url,
                                      "config": config}
            if o.dummy_credentials:
                kwargs.update(EMULATOR_CREDENTIALS)
                kwargs["region_name"] = o.region or "us-east-1"
            self.client = await self._stack.enter_async_context(
                session.create_client(self.service, **kwargs)
            )
        except ProfileNotFound:
            raise UsageError(f"AWS profile {o.profile!r} not found") from None
        except NoRegionError:
            raise UsageError("no AWS region: pass --region or set AWS_REGION") from None
        self.region = self.client.meta.region_name
        if self.faults is not None:
            attach(self.faults, self.client)
        creds = None if o.dummy_credentials else await session.get_credentials()
        if creds is not None:
            frozen = await creds.get_frozen_credentials()
            self.secrets.add(frozen.access_key, frozen.secret_key, frozen.token)

    async def close(self) -> None:
        await self._stack.aclose()
        self.client = None

    async def call(self, api: str, idempotent: bool = False, **params: Any) -> dict[str, Any]:
        """One DynamoDB request (retried as the module docstring says); raises the last error,
        with ``attempts`` set on it."""
        attempt = 0
        method = getattr(self.client, api)
        wru, rru = units(api, params)
        attempts = Attempts()
        while True:
            attempt += 1
            self.usage.add(api, wru, rru)
            try:
                aw = method(**params)
                return dict(await (aw if self.faults is None else self.faults.call(aw)))
            except Exception as e:
                verdict = classify(e)
                safe = verdict.type == "fail" or idempotent
                if not (verdict.transient and safe) or attempt > self.options.retries:
                    earlier = attempts.ambiguous(verdict.type)
                    if earlier is not None:
                        e = AfterMaybeApplied(e, earlier)
                    e.attempts = attempt  # type: ignore[attr-defined]
                    raise e from None
                attempts.ended(verdict.type, verdict.kind)
                log.debug("%s: %s, retrying (attempt %d)", api, verdict.kind, attempt)
                RETRIES.set(RETRIES.get() + 1)
            # Exponential backoff with full jitter: retries of many workers do not align.
            await asyncio.sleep(self.rng.uniform(0, min(0.5, 0.02 * 2**attempt)))
