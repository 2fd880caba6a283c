"""Initial registry schema: issuer keys, declarations, certificates, revocations,
API keys, idempotency keys and the hash-chained audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "issuer_keys",
        sa.Column("key_id", sa.String(128), primary_key=True),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("public_key_b64", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_issuer_keys_member", "issuer_keys", ["member"])
    op.create_table(
        "declarations",
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("declaration_id", sa.String(128), nullable=False),
        sa.Column("applicant", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("applicant", "sha256", name="uq_declarations_body"),
    )
    op.create_index("ix_declarations_applicant", "declarations", ["applicant"])
    op.create_table(
        "certificates",
        sa.Column("serial", sa.String(64), primary_key=True),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("applicant", sa.String(128), nullable=False),
        sa.Column(
            "declaration_ref", sa.String(64), sa.ForeignKey("declarations.ref"), nullable=False
        ),
        sa.Column("declaration_sha256", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.String(32), nullable=False),
        sa.Column("valid_until", sa.String(32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
    )
    op.create_index("ix_certificates_member", "certificates", ["member"])
    op.create_index("ix_certificates_applicant", "certificates", ["applicant"])
    op.create_table(
        "revocations",
        sa.Column("serial", sa.String(64), sa.ForeignKey("certificates.serial"), primary_key=True),
        sa.Column("revoked_at", sa.String(32), nullable=False),
        sa.Column("revoked_by", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("label", sa.String(256), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("revoked_at", sa.String(32), nullable=True),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(128), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("serial", sa.String(64), sa.ForeignKey("certificates.serial"), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(160), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )


def downgrade() -> None:
    """Drop every table."""
    for table in (
        "audit_log",
        "idempotency_keys",
        "api_keys",
        "revocations",
        "certificates",
        "declarations",
        "issuer_keys",
    ):
        op.drop_table(table)
