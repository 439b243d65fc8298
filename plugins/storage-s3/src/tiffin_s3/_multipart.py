"""Native S3 multipart uploads: create, presigned part URLs or direct parts, list, complete, abort.

An object written this way appears only when ``multipart_complete`` succeeds, all at once; an
aborted (or never completed) upload leaves no object. Part numbers run from 1 to 10,000 and
every part but the last must be at least 5 MiB on AWS (servers differ).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tiffin.exceptions import InvalidArgument
from tiffin_s3 import _checks
from tiffin_s3._url import parse

__all__ = ["MultipartUploads"]


class MultipartUploads:
    """The multipart half of :class:`tiffin_s3.S3Storage` (needs its ``requests``)."""

    def multipart_create(self, url: str) -> str:
        """Start a multipart upload to ``url``; return its upload id."""
        location = parse(url, need_key=True)
        with self.requests(location, "start a multipart upload to") as conn:  # type: ignore[attr-defined]
            out = conn.client.create_multipart_upload(Bucket=location.bucket, Key=location.key)
            return out["UploadId"]

    def multipart_part_url(
        self, url: str, upload_id: str, part_number: int, expires_s: int = 3600
    ) -> str:
        """A presigned ``PUT`` URL for one part; its response's ``ETag`` header completes it."""
        location = parse(url, need_key=True)
        params = {
            "Bucket": location.bucket,
            "Key": location.key,
            "UploadId": _checks.upload_id(upload_id),
            "PartNumber": _checks.part_number(part_number),
        }
        expires_s = _checks.expiry(expires_s)
        with self.requests(location, "presign a part upload to") as conn:  # type: ignore[attr-defined]
            _checks.require_credentials(conn)
            return conn.client.generate_presigned_url(
                "upload_part", Params=params, ExpiresIn=expires_s
            )

    def multipart_upload_part(self, url: str, upload_id: str, part_number: int, data: Any) -> str:
        """Upload one part (bytes or a binary file object); return its ETag."""
        location = parse(url, need_key=True)
        data = _checks.body(data)
        with self.requests(location, "upload a part to") as conn:  # type: ignore[attr-defined]
            out = conn.client.upload_part(
                Bucket=location.bucket,
                Key=location.key,
                UploadId=_checks.upload_id(upload_id),
                PartNumber=_checks.part_number(part_number),
                Body=data,
            )
            return out["ETag"]

    def multipart_list_parts(self, url: str, upload_id: str) -> list[dict[str, Any]]:
        """The parts uploaded so far (``part_number``, ``etag``, ``size``), by part number."""
        location = parse(url, need_key=True)
        parts: list[dict[str, Any]] = []
        with self.requests(location, "list the parts of an upload to") as conn:  # type: ignore[attr-defined]
            pages = conn.client.get_paginator("list_parts").paginate(
                Bucket=location.bucket, Key=location.key, UploadId=_checks.upload_id(upload_id)
            )
            for page in pages:
                for part in page.get("Parts", ()):
                    parts.append(
                        {
                            "part_number": part["PartNumber"],
                            "etag": part["ETag"],
                            "size": part["Size"],
                        }
                    )
        return sorted(parts, key=lambda p: p["part_number"])

    def multipart_complete(
        self, url: str, upload_id: str, parts: Iterable[tuple[int, str]]
    ) -> None:
        """Make the object from ``parts`` (``(part_number, etag)``); it appears all at once."""
        location = parse(url, need_key=True)
        listed = sorted((_checks.part_number(n), str(etag)) for n, etag in parts)
        if not listed:
            raise InvalidArgument(f"cannot complete the upload to {url}: it names no parts")
        if len({n for n, _ in listed}) != len(listed):
            raise InvalidArgument(f"cannot complete the upload to {url}: a part number repeats")
        with self.requests(location, "complete the upload to") as conn:  # type: ignore[attr-defined]
            conn.client.complete_multipart_upload(
                Bucket=location.bucket,
                Key=location.key,
                UploadId=_checks.upload_id(upload_id),
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in listed]},
            )

    def multipart_abort(self, url: str, upload_id: str) -> None:
        """Abandon the upload and free its parts; aborting twice is not an error."""
        from botocore.exceptions import ClientError

        location = parse(url, need_key=True)
        with self.requests(location, "abort the upload to") as conn:  # type: ignore[attr-defined]
            try:
                conn.client.abort_multipart_upload(
                    Bucket=location.bucket, Key=location.key, UploadId=_checks.upload_id(upload_id)
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                    raise
