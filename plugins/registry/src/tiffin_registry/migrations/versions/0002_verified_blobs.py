"""Blobs verified at rest, the actor of each upload session, revoked UI sessions (issue 25).

Blobs recorded before this revision were hashed as they streamed in, not as they landed: a
second writer could have changed them afterwards. They start unverified; the registry checks
one at rest before serving it and reports it missing to pushes, so the next push re-uploads it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("blobs") as batch:
        batch.add_column(
            sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("upload_sessions") as batch:
        batch.add_column(sa.Column("actor", sa.String(64), nullable=True))
    op.create_table(
        "ui_revoked",
        sa.Column("session", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ui_revoked")
    with op.batch_alter_table("upload_sessions") as batch:
        batch.drop_column("actor")
    with op.batch_alter_table("blobs") as batch:
        batch.drop_column("verified")
