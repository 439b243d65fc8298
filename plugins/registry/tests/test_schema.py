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
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0001"
