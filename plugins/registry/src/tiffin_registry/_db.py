"""The database: an engine for a SQLAlchemy URL, migrated to the newest schema at start.

Migrations are Alembic scripts shipped in this package (``migrations/``) and run on every
start. Two replicas starting at once never run them twice: on PostgreSQL the upgrade runs in
a transaction holding an advisory lock; on SQLite under an exclusive lock on a file next to
the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tiffin.exceptions import InvalidArgument
from tiffin_registry._tables import settings

__all__ = [
    "as_utc",
    "connect",
    "forget_legacy_secret",
    "migrate",
    "now",
    "signing_secret",
    "take_legacy_secret",
]

MIGRATIONS = Path(__file__).parent / "migrations"
_ADVISORY_LOCK_KEY = 0x7469666669  # "tiffi"


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def connect(url: str) -> sa.Engine:
    """An engine for ``url``; a clear line when the driver is missing or the URL is wrong."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise InvalidArgument(
            f"--db {url!r} is not a database URL; use sqlite:///PATH or "
            f"postgresql+psycopg://USER:PASSWORD@HOST/DB"
        ) from None
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
        if parsed.database:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except ModuleNotFoundError as exc:
        hint = (
            "pip install 'tiffin-registry[postgres]'"
            if parsed.get_backend_name() == "postgresql"
            else f"install the driver {exc.name!r}"
        )
        raise InvalidArgument(
            f"the database driver for {parsed.drivername} is missing: {hint}"
        ) from None
    except sa.exc.NoSuchModuleError:
        raise InvalidArgument(
            f"unknown database kind {parsed.drivername!r} in --db; use sqlite:/// or "
            f"postgresql+psycopg://"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def migrate(engine: sa.Engine) -> None:
    """Upgrade the schema to the newest revision; safe from several processes at once."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    backend = engine.dialect.name
    database = engine.url.database
    lock: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if backend == "sqlite" and database and database != ":memory:":
        lock = _file_lock(
            Path(database).expanduser().with_name(Path(database).name + ".migrate-lock")
        )
    with lock, engine.begin() as connection:
        if backend == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def take_legacy_secret(engine: sa.Engine) -> bytes | None:
    """The signing secret registries before issue 25 kept in ``settings`` (None when gone)."""
    with engine.connect() as connection:
        value = connection.execute(
            sa.select(settings.c.value).where(settings.c.key == "signing_secret")
        ).scalar()
    return None if value is None else bytes.fromhex(value)


def forget_legacy_secret(engine: sa.Engine) -> None:
    """Remove the old secret from the database, once it lives in its key file."""
    with engine.begin() as connection:
        connection.execute(settings.delete().where(settings.c.key == "signing_secret"))


def signing_secret(engine: sa.Engine) -> bytes:
    """A random HMAC key created once in the ``settings`` table (kept for tools and tests;
    the registry itself keeps its key out of the database, see ``_keys``)."""
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(settings.c.value).where(settings.c.key == "signing_secret")
        ).first()
        if row is not None:
            return bytes.fromhex(row[0])
    try:
        with engine.begin() as connection:
            connection.execute(
                settings.insert().values(key="signing_secret", value=secrets.token_hex(32))
            )
    except sa.exc.IntegrityError:
        pass  # another replica created it first
    with engine.begin() as connection:
        value: str = connection.execute(
            sa.select(settings.c.value).where(settings.c.key == "signing_secret")
        ).scalar_one()
    return bytes.fromhex(value)
