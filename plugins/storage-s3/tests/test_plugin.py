"""Without a server: registration, light imports, URL checks, and S3's error codes as one line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

import tiffin
from tiffin import hookspecs, plugins
from tiffin.exceptions import InvalidArgument, NotFound, ServiceUnavailable, TiffinError
from tiffin.hookspecs import StorageBackend
from tiffin_s3 import S3AccessDenied, S3Storage
from tiffin_s3._errors import translate
from tiffin_s3._url import parse

CAPABILITIES = (
    hookspecs.SupportsPresign,
    hookspecs.SupportsMultipart,
    hookspecs.SupportsMultipartPartUrl,
    hookspecs.SupportsMultipartUploadPart,
    hookspecs.SupportsReadRange,
    hookspecs.SupportsAtomicWrite,
)


def test_registered_for_s3_and_s3a_with_every_capability():
    backends = plugins.storage_backends()
    assert isinstance(backends["s3"], S3Storage) and backends["s3a"] is backends["s3"]
    assert isinstance(backends["s3"], StorageBackend)
    missing = [p.__name__ for p in CAPABILITIES if not isinstance(backends["s3"], p)]
    assert missing == []


def test_importing_the_plugin_loads_neither_s3fs_nor_botocore():
    code = (
        "import sys, tiffin_s3, tiffin; tiffin.hookimpl;"
        "print(sorted(m for m in ('s3fs', 'botocore', 'aiobotocore') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tiffin_plugins_lists_it(cli):
    done = cli("plugins")
    assert done.returncode == 0, done.stderr
    assert "s3" in done.stdout and "tiffin-s3" in done.stdout


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("s3://", "names no bucket"),
        ("s3:///key", "names no bucket"),
        ("s3://bad bucket/key", "not a valid bucket name"),
        ("s3://bucket", "names no object"),
        ("s3://bucket/folder/", "names no object"),
    ],
)
def test_bad_urls_are_one_line_before_any_request(url, words):
    with pytest.raises(InvalidArgument, match=words):
        parse(url, need_key=True)


def test_core_passes_the_backends_message_through():
    # export to a URL the backend refuses: its own words, not "no backend handles s3"
    with tiffin.models.create("tiny") as model:
        (model.path / "a.txt").write_text("a")
    with pytest.raises(InvalidArgument) as info:
        tiffin.models.export_model("tiny:latest", "s3://bad bucket/x.tiffin")
    assert "not a valid bucket name" in str(info.value)
    assert "pip install" not in str(info.value)


def test_presign_checks_expiry_and_part_numbers():
    storage = S3Storage()
    with pytest.raises(InvalidArgument, match="7 days"):
        storage.presign_get("s3://bkt/k", 8 * 24 * 3600)
    with pytest.raises(InvalidArgument, match="whole number"):
        storage.presign_put("s3://bkt/k", 1.5)
    with pytest.raises(InvalidArgument, match="part number"):
        storage.multipart_part_url("s3://bkt/k", "upload", 0, 60)
    with pytest.raises(InvalidArgument, match="start <= end"):
        storage.read_range("s3://bkt/k", 5, 1)


def _client_error(code: str, message: str = "", status: int = 400, **extra) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message, **extra},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
    }
    return ClientError(response, "GetObject")


LOCATION = parse("s3://models/iris.tiffin")


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (_client_error("NoSuchBucket", status=404), NotFound, "aws s3 mb s3://models"),
        (_client_error("NoSuchKey", status=404), NotFound, "no object at s3://models/iris"),
        (_client_error("AccessDenied", status=403), S3AccessDenied, "grant it permission"),
        (_client_error("InvalidAccessKeyId", status=403), S3AccessDenied, "AWS_ACCESS_KEY_ID"),
        (
            _client_error("SignatureDoesNotMatch", status=403),
            S3AccessDenied,
            "AWS_SECRET_ACCESS_KEY",
        ),
        (_client_error("ExpiredToken", status=400), S3AccessDenied, "aws sso login"),
        (
            _client_error(
                "AuthorizationHeaderMalformed",
                "the region 'us-east-1' is wrong; expecting 'eu-west-3'",
            ),
            InvalidArgument,
            "AWS_REGION=eu-west-3",
        ),
        (
            _client_error("PermanentRedirect", status=301, Region="ap-south-1"),
            InvalidArgument,
            "AWS_REGION=ap-south-1",
        ),
        (_client_error("405", status=405), InvalidArgument, "did not answer like an S3 server"),
        (_client_error("SlowDown", status=503), ServiceUnavailable, "retry later"),
        (NoCredentialsError(), S3AccessDenied, "AWS_PROFILE"),
        (
            EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
            ServiceUnavailable,
            "AWS_ENDPOINT_URL",
        ),
    ],
)
def test_s3_errors_become_one_line_naming_the_url_and_the_fix(error, kind, words):
    translated = translate(error, LOCATION, None, "read", diagnose=False)
    assert isinstance(translated, kind)
    assert isinstance(translated, TiffinError)
    message = str(translated)
    assert "\n" not in message
    assert "s3://models" in message
    assert words in message


def test_errors_wrapped_by_s3fs_are_found_through_their_cause():
    try:
        try:
            raise _client_error("SignatureDoesNotMatch", status=403)
        except ClientError as inner:
            raise PermissionError(13, "Forbidden") from inner
    except PermissionError as outer:
        translated = translate(outer, LOCATION, None, "write", diagnose=False)
    assert isinstance(translated, S3AccessDenied)
    assert "AWS_SECRET_ACCESS_KEY" in str(translated)
