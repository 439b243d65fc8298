"""The Alembic migrations build exactly the schema the code uses, and run safely twice."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from tiffin_registry._db import connect, migrate, signing_secret
from tiffin_registry._tables import metadata


def test_migrations_match_the_tables(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = connect(f"sqlite:///{tmp_path / 'r.db'}")
    migrate(engine)
    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), metadata)
    assert diff == []


def test_concurrent_migrations_and_one_shared_secret(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    errors: list[BaseException] = []
    secrets: list[bytes] = []

    def start() -> None:
        try:
            engine = connect(url)
            migrate(engine)
            secrets.append(signing_secret(engine))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(secrets)) == 1 and len(secrets[0]) == 32
    with connect(url).connect() as c:
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == _head()


def _head() -> str:
    from alembic.script import ScriptDirectory

    from tiffin_registry._db import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def test_a_database_of_the_first_schema_upgrades_with_its_blobs_unverified(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from tiffin_registry._db import MIGRATIONS

    engine = connect(f"sqlite:///{tmp_path / 'r.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as c:
        config.attributes["connection"] = c
        command.upgrade(config, "0001")
        c.execute(sa.text(
            "INSERT INTO blobs (sha256, size, created_at, last_seen_at) "
            "VALUES ('ab', 1, '2026-01-01', '2026-01-01')"
        ))
    migrate(engine)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT verified FROM blobs")).scalar() in (0, False)
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == _head()
