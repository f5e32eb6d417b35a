"""Accounts, roles and refresh-token families."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, enum_check, utcnow


class Role(StrEnum):
    CITIZEN = "citizen"
    OPERATOR = "operator"
    ADMIN = "admin"


ROLES = tuple(Role)  # for validators and messages


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: the unique constraint then makes addresses unique case-insensitively.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    # Self-declared at registration; only a verified birth date earns the senior discount.
    birth_date_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    district: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list["UserRole"]] = relationship(back_populates="user", cascade="all, delete-orphan", lazy="joined")

    @property
    def role_names(self) -> list[str]:
        return sorted(role.role for role in self.roles)

    def has_role(self, role: str) -> bool:
        return any(r.role == role for r in self.roles)


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (enum_check("role", Role, name="known_role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class RefreshToken(db.Model):
    """One issued refresh token. A login starts a family; each refresh adds a member and uses the last."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("ix_refresh_tokens_family_id", "family_id"),
        # Re-mirroring revocations into an emptied Redis reads the recent ones.
        Index("ix_refresh_tokens_revoked_at", "revoked_at"),
    )

    jti: Mapped[str] = mapped_column(String(36), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordResetToken(db.Model):
    """A one-time password reset token; only its SHA-256 is kept, so the table cannot reset anyone."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RedisWriteFailure(db.Model):
    """A revocation or role change that reached the database but not Redis (Redis was down).

    Every process compares the newest of these with the time Redis was last mirrored, and mirrors
    again when Redis is behind: a revocation made during an outage is not forgotten when Redis returns.
    """

    __tablename__ = "redis_write_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
