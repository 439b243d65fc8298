"""``tiffin registry serve`` refuses what would be unsafe, in one line, before binding."""

from __future__ import annotations

import pytest

from tiffin.testing.fixtures import free_port
from tiffin_registry.testing import write_tokens

pytestmark = pytest.mark.slow


def test_anonymous_bind_beyond_loopback_is_refused(cli, tmp_path) -> None:
    result = cli(
        "registry",
        "serve",
        "--storage",
        str(tmp_path / "s"),
        "--host",
        "0.0.0.0",
        "--port",
        str(free_port()),
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--tokens" in lines[0] and "0.0.0.0" in lines[0]
    assert not (tmp_path / "s").exists()  # refused before touching anything


def test_a_bind_beyond_loopback_with_tokens_serves(start_registry_factory, tmp_path) -> None:
    import httpx

    tokens = write_tokens(tmp_path / "tokens")
    server = start_registry_factory(tokens=tokens, host="0.0.0.0")
    server.url = f"http://127.0.0.1:{server.port}"
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--tokens", "/no/such/file"], "no such file"),
        (["--db", "notadb://x"], "--db"),
        (["--db", "postgresql+psycopg://u@127.0.0.1:1/x"], "cannot reach the database"),
    ],
)
def test_mistakes_are_one_line(cli, tmp_path, args, expected) -> None:
    result = cli(
        "registry",
        "serve",
        "--storage",
        str(tmp_path / "s"),
        "--port",
        str(free_port()),
        *args,
        timeout=60,
    )
    assert result.returncode == 1
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_bad_tokens_file_names_the_line(cli, tmp_path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("good write\nbad admin\n")
    result = cli(
        "registry",
        "serve",
        "--storage",
        str(tmp_path / "s"),
        "--tokens",
        str(tokens),
        "--port",
        str(free_port()),
        timeout=60,
    )
    assert result.returncode == 1 and "line 2" in result.stderr
    assert "good" not in result.stderr  # tokens never appear in messages


def test_a_short_token_is_warned_about_at_start(start_registry_factory, tmp_path) -> None:
    import secrets

    long_token = secrets.token_urlsafe(32)
    tokens = write_tokens(tmp_path / "tokens", {"read": "short-read-token", "write": long_token})
    server = start_registry_factory(tokens=tokens)
    server.stop()
    logs = server.logs()
    assert (
        f"{tokens} line(s) 2: tokens shorter than 32 characters are easy to guess; generate each "
        'with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
    ) in logs
    assert "short-read-token" not in logs and long_token not in logs


def test_long_tokens_start_without_a_warning(start_registry_factory, tmp_path) -> None:
    import secrets

    tokens = write_tokens(
        tmp_path / "tokens",
        {"read": secrets.token_urlsafe(32), "write": secrets.token_urlsafe(32)},
    )
    server = start_registry_factory(tokens=tokens)
    server.stop()
    assert "easy to guess" not in server.logs()


def test_a_missing_signing_key_file_is_one_line(cli, tmp_path) -> None:
    missing = tmp_path / "no-such.key"
    result = cli(
        "registry", "serve", "--storage", str(tmp_path), "--signing-key-file", str(missing)
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: --signing-key-file {missing}: no such file"
