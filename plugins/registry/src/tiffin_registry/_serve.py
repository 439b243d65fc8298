"""``tiffin registry serve`` and ``gc``: open the database and storage, check safety, run.

Without ``--tokens`` the registry is anonymous (anyone may push), so it only binds to a
loopback address; anything else is refused before binding, with the fix in the message.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import re
import resource
import warnings
from pathlib import Path

from tiffin.exceptions import InvalidArgument
from tiffin_registry._access import Registry
from tiffin_registry._auth import MIN_TOKEN_LENGTH, load_tokens
from tiffin_registry._db import connect, migrate
from tiffin_registry._front import (
    FrontGuard,
    GuardedH11Protocol,
    allowed_hosts_from_env,
    header_timeout,
    max_connections,
)
from tiffin_registry._storage import BlobStorage

__all__ = ["default_db_url", "is_loopback", "open_registry", "serve"]

logger = logging.getLogger("tiffin.registry")

DB_NAME = "registry.db"


class SharedDatabaseWarning(UserWarning):
    """The registry's SQLite file is local while its storage is remote: replicas will not share."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RedactSignatures(logging.Filter):
    """Access-log lines never show a presigned URL's signature (``sig=...``)."""

    _SIG = re.compile(r"((?:^|[?&])sig=)[^&\s]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._SIG.sub(r"\1REDACTED", a) if isinstance(a, str) and "sig=" in a else a
                for a in record.args
            )
        return True


def _raise_open_files_limit() -> None:
    """Many connections need many descriptors: the soft limit up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))


def default_db_url(storage: BlobStorage) -> str:
    """A SQLite file inside local storage; for remote storage one under ``$TIFFIN_HOME``."""
    if storage.local:
        return f"sqlite:///{os.path.join(storage.root, DB_NAME)}"
    from tiffin.store import tiffin_home

    path = tiffin_home() / "registry" / DB_NAME
    warnings.warn(
        f"no --db given with remote storage {storage.url}: metadata goes to {path}, which other "
        f"replicas cannot see; pass --db postgresql+psycopg://... to run several replicas",
        SharedDatabaseWarning,
        stacklevel=2,
    )
    return f"sqlite:///{path}"


def open_registry(
    storage_url: str, db_url: str | None = None, tokens: str | Path | None = None
) -> Registry:
    """Storage, a migrated database and tokens, ready to serve or collect garbage."""
    token_set = load_tokens(tokens)
    storage = BlobStorage(storage_url)
    engine = connect(db_url or default_db_url(storage))
    try:
        migrate(engine)
    except Exception as exc:
        import sqlalchemy as sa

        if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
            raise InvalidArgument(
                f"cannot reach the database {engine.url.render_as_string(hide_password=True)}: "
                f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}"
            ) from None
        raise
    return Registry(engine, storage, token_set)


def serve(
    storage: str,
    *,
    db: str | None = None,
    host: str = "127.0.0.1",
    port: int = 5000,
    tokens: str | Path | None = None,
    ui: bool = True,
    log_level: str = "info",
    allowed_hosts: tuple[str, ...] | list[str] = (),
) -> None:
    """Run the registry in this process until interrupted."""
    import uvicorn

    from tiffin.serving import configure_logging, listen
    from tiffin_registry._app import build_app

    if tokens is None and not is_loopback(host):
        raise InvalidArgument(
            f"refusing to serve an anonymous registry on {host}: anyone who can reach it could "
            f"push and delete. Pass --tokens FILE (lines of 'TOKEN read|write'), or bind to "
            f"127.0.0.1"
        )
    if not 0 <= port <= 65535:
        raise InvalidArgument(f"--port {port} is not a TCP port (0-65535)")
    hosts = (*allowed_hosts, *allowed_hosts_from_env())
    configure_logging(log_level)
    logging.getLogger("uvicorn.access").addFilter(RedactSignatures())
    _raise_open_files_limit()
    registry = open_registry(storage, db, tokens)
    if registry.tokens.short_lines:
        logger.warning(
            "%s line(s) %s: tokens shorter than %d characters are easy to guess; generate "
            'each with: python -c "import secrets; print(secrets.token_urlsafe(32))"',
            tokens,
            ", ".join(map(str, registry.tokens.short_lines)),
            MIN_TOKEN_LENGTH,
        )
    app = FrontGuard(
        build_app(registry, ui=ui), anonymous=registry.tokens.anonymous, allowed_hosts=hosts
    )
    sock = listen(host, port)
    actual = sock.getsockname()[1]
    logger.info(
        "tiffin registry on http://%s:%d (storage %s, database %s, %s)",
        host,
        actual,
        registry.storage.url,
        registry.engine.url.render_as_string(hide_password=True),
        "anonymous" if registry.tokens.anonymous else "tokens required",
    )
    idle = header_timeout()
    config = uvicorn.Config(
        app,
        log_level=log_level,
        proxy_headers=True,
        http=GuardedH11Protocol,
        timeout_keep_alive=max(1, int(idle)),
        limit_concurrency=max_connections(),
    )
    uvicorn.Server(config).run(sockets=[sock])
