"""Signing without a server: what a signature covers, expiry, the key file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tiffin.exceptions import InvalidArgument
from tiffin_presigned._signing import KEY_FILE_ENV, Signer, download_message, upload_message


@pytest.fixture
def signer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Signer:
    key = tmp_path / "key"
    key.write_text("k" * 64)
    monkeypatch.setenv(KEY_FILE_ENV, str(key))
    return Signer(registry=None)


def test_a_signature_covers_session_blob_and_size(signer: Signer) -> None:
    message = upload_message("s1", "a" * 64, 10)
    signature = signer.sign(message, 60)
    assert signer.verify(message, signature)
    assert not signer.verify(upload_message("s2", "a" * 64, 10), signature)
    assert not signer.verify(upload_message("s1", "b" * 64, 10), signature)
    assert not signer.verify(upload_message("s1", "a" * 64, 11), signature)
    assert not signer.verify(download_message("a" * 64), signature)
    expires, _, mac = signature.partition(".")
    assert not signer.verify(message, f"{int(expires) + 3600}.{mac}")  # a later expiry: altered
    assert not signer.verify(message, f"{expires}.{mac[:-2]}AA")
    assert not signer.verify(message, "")


def test_an_expired_signature_fails(signer: Signer) -> None:
    message = download_message("c" * 64)
    assert not signer.verify(message, signer.sign(message, -1))


def test_a_short_or_missing_key_file_is_one_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "absent"))
    with pytest.raises(InvalidArgument, match=KEY_FILE_ENV):
        Signer(registry=None)
    (tmp_path / "short").write_text("abc")
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "short"))
    with pytest.raises(InvalidArgument, match="at least 32"):
        Signer(registry=None)


def test_the_entry_point_module_is_light() -> None:
    code = (
        "import sys, tiffin_presigned; "
        "print([m for m in ('httpx', 'starlette', 'tiffin_registry') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
