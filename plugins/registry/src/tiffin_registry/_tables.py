"""The database schema, as SQLAlchemy Core tables (Alembic migrations create and evolve it).

Versions are rows of a repository (a model or bento name); their files point at blobs by
sha256. A blob row exists only once its bytes are in storage and verified, so a version's
commit can check every blob in the same transaction that inserts it.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "audit_log",
    "blobs",
    "metadata",
    "repositories",
    "settings",
    "ui_revoked",
    "upload_sessions",
    "version_files",
    "version_labels",
    "versions",
]

metadata = sa.MetaData()

Timestamp = sa.DateTime(timezone=True)

repositories = sa.Table(
    "repositories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # "models" or "bentos"
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("kind", "name", name="uq_repositories_kind_name"),
)

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "repository_id",
        sa.Integer,
        sa.ForeignKey("repositories.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("version", sa.String(128), nullable=False),
    sa.Column("manifest", sa.Text, nullable=False),  # the exact manifest text pushed
    sa.Column("summary", sa.JSON, nullable=False),  # framework, service, models... for listings
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("file_count", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),  # from the manifest
    sa.Column("pushed_at", Timestamp, nullable=False),
    sa.Column("pushed_by", sa.String(64), nullable=False),
    sa.UniqueConstraint("repository_id", "version", name="uq_versions_repository_version"),
)

version_files = sa.Table(
    "version_files",
    metadata,
    sa.Column(
        "version_id", sa.Integer, sa.ForeignKey("versions.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("version_id", "path", name="pk_version_files"),
)

version_labels = sa.Table(
    "version_labels",
    metadata,
    sa.Column(
        "version_id", sa.Integer, sa.ForeignKey("versions.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("version_id", "key", name="pk_version_labels"),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    # last time a push was told the blob exists: gc spares it for a grace period after that
    sa.Column("last_seen_at", Timestamp, nullable=False),
    # hashed at rest after its last writer closed it; rows from before revision 0002 are not
    sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false()),
)

upload_sessions = sa.Table(
    "upload_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("strategy", sa.String(64), nullable=False),
    # open; receiving or landing (one writer holds it); done; aborted
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("actor", sa.String(64), nullable=True),  # who opened it (audited when it lands)
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),  # a token's fingerprint, never the token
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
)

ui_revoked = sa.Table(  # UI sessions signed out before they expire (by their CSRF token)
    "ui_revoked",
    metadata,
    sa.Column("session", sa.String(64), primary_key=True),
    sa.Column("expires_at", Timestamp, nullable=False),
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
