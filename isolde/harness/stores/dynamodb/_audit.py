"""The cloud audit's precondition: a region and credentials from the standard chain (never from
flags), found before any plan is printed or request sent (the plan itself is
``DynamoDBStore.audit_plan``)."""

from __future__ import annotations

from ...._errors import UsageError
from ._api import DynamoOptions


def region_with_credentials(o: DynamoOptions) -> str:
    """The region the audit will use, found the way boto3 finds it, provided credentials can be
    found too; else UsageError -- before any plan is printed or request sent."""
    try:
        from botocore.exceptions import ProfileNotFound
        from botocore.session import Session
    except ImportError:
        raise UsageError("the cloud audit needs botocore: pip install 'isolde[dynamodb]'") from None
    try:
        session = Session(profile=o.profile)
        region = o.region or session.get_config_variable("region")
        credentials = session.get_credentials()
    except ProfileNotFound:
        raise UsageError(f"AWS profile {o.profile!r} not found") from None
    if not region:
        raise UsageError("cloud audit: no AWS region: pass --region or set AWS_DEFAULT_REGION")
    if credentials is None:
        raise UsageError("cloud audit: no AWS credentials found (environment, --profile, config "
                         "files or an instance role)")
    return str(region)
