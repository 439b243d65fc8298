"""tiffin-s3: ``s3://`` and ``s3a://`` URLs for tiffin, on fsspec's s3fs.

Importing this module imports neither boto3 nor s3fs: they load on the first S3 URL.
"""

from __future__ import annotations

import tiffin
from tiffin_s3._backend import S3Storage
from tiffin_s3._errors import S3AccessDenied

__all__ = ["S3AccessDenied", "S3Storage"]


@tiffin.hookimpl
def register_storage_backends(register):
    register(S3Storage())
