"""One connection to S3 as the standard AWS sources describe it, rebuilt when they change.

Credentials, region and endpoint are never tiffin settings: botocore reads them from the
environment (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
``AWS_REGION``, ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3``, ``AWS_PROFILE``), the shared
``~/.aws/config`` and ``~/.aws/credentials`` files, SSO, web identity and instance metadata,
exactly as the AWS CLI does. A sync botocore client signs URLs and runs the object-store
capabilities; s3fs (on aiobotocore, which reads the same sources) streams files.

Both are cached, keyed by the ``AWS_*`` environment and the shared files' modification times,
so a program (or a test) that changes its environment gets a fresh connection, and one that
does not pays for set-up once.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["S3Connection", "connection"]

#: Fail fast on an unreachable endpoint; S3 itself answers in milliseconds.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 120
MAX_ATTEMPTS = 3


def aws_files() -> tuple[Path, Path]:
    """The shared config and credentials files, where botocore looks for them."""
    config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    return Path(config).expanduser(), Path(credentials).expanduser()


def _fingerprint() -> tuple[Any, ...]:
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    stamps: list[int | None] = []
    for path in aws_files():
        try:
            stamps.append(path.stat().st_mtime_ns)
        except OSError:
            stamps.append(None)
    return (*env, *stamps)


def _is_aws(endpoint_url: str) -> bool:
    host = urlsplit(endpoint_url).hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def _configured_endpoint(session: Any) -> str | None:
    """``AWS_ENDPOINT_URL(_S3)`` or the profile's ``endpoint_url``, as botocore resolves them."""
    try:
        from botocore.configprovider import ConfiguredEndpointProvider

        return ConfiguredEndpointProvider(
            full_config=session.full_config,
            scoped_config=session.get_scoped_config(),
            client_name="s3",
        ).provide()
    except Exception:  # an older botocore: the variables alone
        return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")


class S3Connection:
    """A botocore S3 client and an s3fs file system for the current AWS configuration."""

    def __init__(self) -> None:
        import botocore.session

        self.session = botocore.session.Session()  # raises ProfileNotFound for a bad AWS_PROFILE
        scoped = self.session.get_scoped_config()
        # Custom endpoints (MinIO, SeaweedFS, Ceph) rarely resolve bucket.host names: use
        # path-style URLs there unless the profile chose an addressing style itself.
        style = (scoped.get("s3") or {}).get("addressing_style")
        configured = _configured_endpoint(self.session)
        self.addressing_style = style or (
            "path" if configured and not _is_aws(configured) else None
        )
        self.client = self.session.create_client("s3", config=self._config(self.addressing_style))
        self.endpoint_url: str = self.client.meta.endpoint_url
        self.region: str = self.client.meta.region_name or "us-east-1"
        self._fs: Any = None
        self._lock = threading.Lock()

    @staticmethod
    def _options(addressing_style: str | None) -> dict[str, Any]:
        options: dict[str, Any] = {
            "signature_version": "s3v4",
            "connect_timeout": CONNECT_TIMEOUT_S,
            "read_timeout": READ_TIMEOUT_S,
            "retries": {"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
        }
        if addressing_style:
            options["s3"] = {"addressing_style": addressing_style}
        if "AWS_REQUEST_CHECKSUM_CALCULATION" not in os.environ:
            # checksums only where S3 requires them: presigned and multipart uploads from
            # clients that send none (and servers that predate the CRC32 default) keep working
            options["request_checksum_calculation"] = "when_required"
        return options

    def _config(self, addressing_style: str | None) -> Any:
        from botocore.config import Config

        return Config(**self._options(addressing_style))

    @property
    def access_key_id(self) -> str | None:
        """The access key in use, for messages (never the secret)."""
        credentials = self.session.get_credentials()
        return credentials.access_key if credentials is not None else None

    @property
    def fs(self) -> Any:
        """The s3fs file system (created on first use: it starts an event-loop thread)."""
        with self._lock:
            if self._fs is None:
                from tiffin_s3._filesystem import TiffinS3FileSystem

                self._fs = TiffinS3FileSystem(
                    connection=self,
                    skip_instance_cache=True,
                    config_kwargs=self._options(self.addressing_style),
                )
                self._fs.retries = 2  # s3fs retries around botocore's own
            return self._fs


_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], S3Connection] | None = None


def connection() -> S3Connection:
    """The connection for the current AWS environment (cached while it does not change)."""
    global _cached
    key = _fingerprint()
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, S3Connection())
        return _cached[1]
