"""Key lifecycle: issuer keys retire (rotation), API keys expire.

``issuer_keys.retired_at``: when a member's key was rotated out (``NULL``: the current
key); it stays listed to verify the certificates it signed before. ``api_keys.expires_at``:
the instant after which the bearer token is refused (``NULL``: never).

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
    """Add the two nullable columns (existing rows: current key, no expiry)."""
    op.add_column("issuer_keys", sa.Column("retired_at", sa.String(32), nullable=True))
    op.add_column("api_keys", sa.Column("expires_at", sa.String(32), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("issuer_keys") as batch:
        batch.drop_column("retired_at")
