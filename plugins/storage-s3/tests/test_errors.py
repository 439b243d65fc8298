"""What users get wrong with S3, each answered with one line naming the URL and the fix.

SeaweedFS enforces credentials and signatures, so the refusals here are a real server's.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import tiffin
from tiffin.exceptions import InvalidArgument, NotFound, ServiceUnavailable
from tiffin_s3 import S3AccessDenied, S3Storage
from tiffin_s3.testing import ADMIN, READER, S3Bucket, S3Server, s3_environment

pytestmark = pytest.mark.slow


@pytest.fixture
def weed_bucket(seaweedfs_s3: S3Server, monkeypatch, tmp_path) -> S3Bucket:
    s3_environment(monkeypatch, seaweedfs_s3, tmp_path)
    return S3Bucket(seaweedfs_s3, seaweedfs_s3.create_bucket())


@pytest.fixture
def model() -> tiffin.Model:
    with tiffin.models.create("errs") as m:
        (m.path / "w.bin").write_bytes(b"w" * 4096)
    return tiffin.models.get("errs:latest")


def one_line_error(done, *words: str) -> str:
    """The CLI failed as users should see it: exit 1, one line on stderr, no traceback."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_wrong_secret_key_is_one_clear_line_in_the_cli(weed_bucket, model, cli):
    url = weed_bucket.key_url("m.tiffin")
    done = cli("models", "export", str(model.tag), url, env={"AWS_SECRET_ACCESS_KEY": "wrong"})
    one_line_error(done, url, "signature", "AWS_SECRET_ACCESS_KEY")
    assert weed_bucket.keys() == []


def test_unknown_access_key_on_import_is_one_clear_line(weed_bucket, model, cli):
    url = weed_bucket.key_url("m.tiffin")
    tiffin.models.export_model(model.tag, url)
    done = cli("models", "import", url, env={"AWS_ACCESS_KEY_ID": "nobody"})
    one_line_error(done, url, "'nobody'", "AWS_ACCESS_KEY_ID")


def test_no_credentials_at_all(weed_bucket, model, cli, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    url = weed_bucket.key_url("m.tiffin")
    done = cli("models", "export", str(model.tag), url)
    one_line_error(done, url, "no AWS credentials", "AWS_PROFILE")
    with pytest.raises(S3AccessDenied, match="no AWS credentials"):
        S3Storage().presign_get(url, 60)


def test_access_denied_for_a_read_only_user(weed_bucket, model, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", READER[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", READER[1])
    url = weed_bucket.key_url("m.tiffin")
    with pytest.raises(S3AccessDenied) as info:
        tiffin.models.export_model(model.tag, url)
    message = str(info.value)
    assert url in message and "access denied" in message and READER[0] in message
    assert weed_bucket.keys() == []


@pytest.mark.parametrize("server", ["moto", "seaweedfs"])
def test_missing_bucket_names_the_bucket_and_how_to_create_it(
    server, request, model, monkeypatch, tmp_path
):
    s3 = request.getfixturevalue(f"{server}_s3")
    s3_environment(monkeypatch, s3, tmp_path)
    url = "s3://no-such-bucket-here/m.tiffin"
    with pytest.raises(NotFound) as info:
        tiffin.models.import_model(url)
    assert "bucket 'no-such-bucket-here' does not exist" in str(info.value)
    assert "aws s3 mb s3://no-such-bucket-here" in str(info.value)
    if server == "moto":  # SeaweedFS creates buckets on first upload for admin users
        with pytest.raises(NotFound, match="does not exist"):
            tiffin.models.export_model(model.tag, url)


def test_missing_object(s3_bucket):
    url = s3_bucket.key_url("nothing-here.tiffin")
    with pytest.raises(NotFound, match="no object at"):
        tiffin.models.import_model(url)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_endpoint_is_one_clear_line(moto_s3, model, cli, monkeypatch, tmp_path):
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    s3_environment(monkeypatch, moto_s3, tmp_path, AWS_ENDPOINT_URL=endpoint)
    done = cli("models", "export", str(model.tag), "s3://bucket/m.tiffin")
    one_line_error(done, "s3://bucket/m.tiffin", f"cannot reach {endpoint}", "AWS_ENDPOINT_URL")
    with pytest.raises(ServiceUnavailable, match="cannot reach"):
        tiffin.models.import_model("s3://bucket/m.tiffin")


@pytest.fixture
def not_s3() -> Iterator[str]:
    """An HTTP server that is not S3 (a web server at the wrong address)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            body = b"<html><body>Not here</body></html>"
            self.send_response(404)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _answer

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_endpoint_that_is_not_s3(moto_s3, not_s3, monkeypatch, tmp_path):
    s3_environment(monkeypatch, moto_s3, tmp_path, AWS_ENDPOINT_URL=not_s3)
    with pytest.raises(InvalidArgument) as info:
        tiffin.models.import_model("s3://bucket/m.tiffin")
    assert "did not answer like an S3 server" in str(info.value)
    assert "AWS_ENDPOINT_URL" in str(info.value)


def write_profile(home: Path, server: S3Server, name: str = "team") -> None:
    (home / "aws_config").write_text(
        f"[profile {name}]\nregion = {server.region}\nendpoint_url = {server.endpoint_url}\n"
    )
    (home / "aws_credentials").write_text(
        f"[{name}]\naws_access_key_id = {ADMIN[0]}\naws_secret_access_key = {ADMIN[1]}\n"
    )


def test_credentials_and_endpoint_from_an_aws_profile(
    seaweedfs_s3, model, monkeypatch, tmp_path, cli
):
    env = s3_environment(monkeypatch, seaweedfs_s3, tmp_path)
    bucket = S3Bucket(seaweedfs_s3, seaweedfs_s3.create_bucket())
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
        monkeypatch.delenv(name)
        env.pop(name)
    write_profile(tmp_path, seaweedfs_s3)
    monkeypatch.setenv("AWS_PROFILE", "team")

    tiffin.models.export_model(model.tag, bucket.key_url("p.tiffin"))
    assert bucket.keys() == ["p.tiffin"]

    done = cli(
        "models", "export", str(model.tag), bucket.key_url("q.tiffin"), env={"AWS_PROFILE": "nope"}
    )
    one_line_error(done, "'nope'", "AWS_PROFILE")
