"""What S3 said, as one line a user can act on: the URL, the endpoint, the likely fix.

botocore and s3fs report failures as ``ClientError`` codes, connection errors and ``OSError``
subclasses; :func:`translate` turns each into a :class:`tiffin.exceptions.TiffinError` (so the
CLI prints it and exits 1). A bare HTTP status (S3 sends no body to a ``HEAD``) is diagnosed
with one ``GET`` that returns the real error code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tiffin.exceptions import (
    InvalidArgument,
    NotFound,
    ServiceUnavailable,
    TiffinError,
)

if TYPE_CHECKING:
    from tiffin_s3._connection import S3Connection
    from tiffin_s3._url import S3Location

__all__ = ["S3AccessDenied", "translate"]

_CREDENTIALS_HINT = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile in "
    "~/.aws/credentials"
)


class S3AccessDenied(TiffinError):
    """S3 refused the credentials or their permissions (HTTP 403)."""

    status_code = 403
    error_kind = "access_denied"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _client_error(exc: BaseException) -> Any:
    from botocore.exceptions import ClientError

    return next((e for e in _chain(exc) if isinstance(e, ClientError)), None)


def _named(exc: BaseException, *names: str) -> BaseException | None:
    for e in _chain(exc):
        if any(cls.__name__ in names for cls in type(e).__mro__):
            return e
    return None


def translate(
    exc: BaseException,
    location: S3Location,
    conn: S3Connection | None,
    action: str,
    *,
    diagnose: bool = True,
) -> TiffinError:
    """``exc`` (raised while doing ``action`` on ``location``) as a one-line tiffin error."""
    if isinstance(exc, TiffinError):
        return exc
    url = location.url
    where = f" at {conn.endpoint_url}" if conn is not None else ""
    error = _client_error(exc)
    if error is not None:
        return _from_client_error(error, location, conn, action, diagnose)
    if _named(exc, "NoCredentialsError", "PartialCredentialsError"):
        return S3AccessDenied(
            f"cannot {action} {url}: no AWS credentials found; {_CREDENTIALS_HINT}"
        )
    profile = _named(exc, "ProfileNotFound")
    if profile is not None:
        from tiffin_s3._connection import aws_files

        name = getattr(profile, "kwargs", {}).get("profile", "?")
        config, credentials = aws_files()
        return InvalidArgument(
            f"cannot {action} {url}: the AWS profile {name!r} is not in {config} or "
            f"{credentials}; fix AWS_PROFILE or add the profile there"
        )
    token = _named(exc, "TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError")
    if token is not None:
        return S3AccessDenied(
            f"cannot {action} {url}: {token}; refresh your credentials (aws sso login)"
        )
    if _named(
        exc,
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ClientConnectorError",
        "ConnectionRefusedError",
        "ProxyConnectionError",
        "SSLError",
    ):
        endpoint = conn.endpoint_url if conn is not None else "the S3 endpoint"
        return ServiceUnavailable(
            f"cannot {action} {url}: cannot reach {endpoint}; check AWS_ENDPOINT_URL (or "
            f"endpoint_url in ~/.aws/config) and that the server is running"
        )
    if _named(exc, "ReadTimeoutError", "TimeoutError", "FSTimeoutError"):
        return ServiceUnavailable(
            f"cannot {action} {url}: S3{where} stopped answering (timed out); retry later"
        )
    if _named(exc, "FileExpired"):
        return TiffinError(
            f"cannot {action} {url}: the object changed while it was being read; retry"
        )
    if isinstance(exc, FileNotFoundError):
        return _not_found(location, conn, action, diagnose)
    if isinstance(exc, PermissionError):
        return S3AccessDenied(f"cannot {action} {url}: access denied{where}: {exc}")
    return TiffinError(f"cannot {action} {url}: S3{where} failed: {type(exc).__name__}: {exc}")


def _status(error: Any) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _region_hint(error: Any) -> str | None:
    body = error.response.get("Error", {})
    headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    region = body.get("Region") or headers.get("x-amz-bucket-region")
    if region:
        return region
    found = re.search(r"expecting '([a-z0-9-]+)'", body.get("Message", ""))
    return found.group(1) if found else None


def _from_client_error(
    error: Any, location: S3Location, conn: S3Connection | None, action: str, diagnose: bool
) -> TiffinError:
    body = error.response.get("Error", {})
    code = str(body.get("Code") or "")
    message = body.get("Message") or ""
    url = location.url
    bucket = location.bucket
    endpoint = conn.endpoint_url if conn is not None else "the S3 endpoint"
    key_id = conn.access_key_id if conn is not None else None
    head = f"cannot {action} {url}"

    if code.isdigit() and diagnose and conn is not None:
        # a HEAD's bare status: ask once more with a GET, whose body names the real cause
        return _diagnose(error, location, conn, action)
    if code in ("NoSuchBucket",):
        return NotFound(
            f"{head}: bucket {bucket!r} does not exist at {endpoint}; create it "
            f"(aws s3 mb s3://{bucket}) or fix the bucket name"
        )
    if code in ("NoSuchKey", "NotFound"):
        return NotFound(f"{head}: no object at {url}")
    if code == "NoSuchUpload":
        return NotFound(
            f"{head}: the multipart upload does not exist (it was completed or aborted)"
        )
    if code == "InvalidAccessKeyId":
        return S3AccessDenied(
            f"{head}: {endpoint} does not know the access key {key_id!r}; check "
            f"AWS_ACCESS_KEY_ID or the profile in ~/.aws/credentials (AWS_PROFILE)"
        )
    if code == "SignatureDoesNotMatch":
        return S3AccessDenied(
            f"{head}: {endpoint} rejected the request signature: the secret key does not "
            f"match access key {key_id!r}; check AWS_SECRET_ACCESS_KEY or ~/.aws/credentials"
        )
    if code in ("ExpiredToken", "TokenRefreshRequired", "InvalidToken"):
        return S3AccessDenied(
            f"{head}: the session token is expired or invalid; refresh your credentials "
            f"(aws sso login, or a new AWS_SESSION_TOKEN)"
        )
    if code in ("AccessDenied", "AllAccessDisabled", "Forbidden") or (
        code == "403" and "amz" in str(error.response.get("ResponseMetadata", {}))
    ):
        return S3AccessDenied(
            f"{head}: access denied by {endpoint} for access key {key_id!r}; grant it "
            f"permission on bucket {bucket!r} or use other credentials (AWS_PROFILE)"
        )
    if code == "RequestTimeTooSkewed":
        return S3AccessDenied(
            f"{head}: this machine's clock is too far from {endpoint}'s; set the clock right"
        )
    if code in (
        "PermanentRedirect",
        "AuthorizationHeaderMalformed",
        "IllegalLocationConstraintException",
        "InvalidRegion",
    ) or (code.isdigit() and _region_hint(error)):
        region = _region_hint(error)
        using = conn.region if conn is not None else "?"
        fix = f"set AWS_REGION={region}" if region else "set AWS_REGION to the bucket's region"
        return InvalidArgument(
            f"{head}: bucket {bucket!r} is not in region {using} at {endpoint}; {fix} "
            f"(or region in ~/.aws/config), or fix AWS_ENDPOINT_URL"
        )
    if code == "InvalidBucketName":
        return InvalidArgument(f"{head}: {bucket!r} is not a valid bucket name ({message})")
    if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall", "EntityTooLarge"):
        return InvalidArgument(f"{head}: {code}: {message}")
    if code in ("SlowDown", "ServiceUnavailable", "InternalError", "503", "500"):
        return ServiceUnavailable(f"{head}: {endpoint} is busy or failing ({code}); retry later")
    if code.isdigit() or not message:
        return InvalidArgument(
            f"{head}: {endpoint} did not answer like an S3 server (HTTP {_status(error) or code}); "
            f"check AWS_ENDPOINT_URL (or endpoint_url in ~/.aws/config)"
        )
    return TiffinError(f"{head}: {endpoint} said {code}: {message}")


def _diagnose(error: Any, location: S3Location, conn: S3Connection, action: str) -> TiffinError:
    try:
        if location.key:
            conn.client.get_object(Bucket=location.bucket, Key=location.key, Range="bytes=0-0")
        else:
            conn.client.list_objects_v2(Bucket=location.bucket, MaxKeys=1)
    except Exception as again:
        return translate(again, location, conn, action, diagnose=False)
    return _from_client_error(error, location, conn, action, diagnose=False)


def _not_found(
    location: S3Location, conn: S3Connection | None, action: str, diagnose: bool
) -> TiffinError:
    """s3fs's FileNotFoundError: the object is missing, or the whole bucket is."""
    if diagnose and conn is not None:
        try:
            conn.client.list_objects_v2(Bucket=location.bucket, MaxKeys=1)
        except Exception as again:
            return translate(again, location, conn, action, diagnose=False)
    return NotFound(f"cannot {action} {location.url}: no object at {location.url}")
