"""Cards, facilities, their terminals, visits and membership epochs."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, enum_check, partial_index, utcnow


class CardStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class FacilityKind(StrEnum):
    LIBRARY = "library"
    SPORTS = "sports"
    CULTURE = "culture"
    PARKING = "parking"
    OTHER = "other"


# For validators and messages.
CARD_STATUSES = tuple(CardStatus)
FACILITY_KINDS = tuple(FacilityKind)


CARDS_FILLFACTOR = 85  # percent of a page filled by inserts (migration 0016_hot_updates)


class Card(db.Model):
    """A citizen's card. Reissue rotates the secret and the device key on the same row (the number stays)."""

    __tablename__ = "cards"
    __table_args__ = (
        enum_check("status", CardStatus, name="known_status"),
        CheckConstraint("digits BETWEEN 6 AND 10", name="digits_range"),
        CheckConstraint("period > 0", name="period_positive"),
        # One card per citizen that is not revoked: a revoked card frees the citizen to get a new one.
        partial_index("uq_cards_one_live_per_user", "user_id", where=f"status <> '{CardStatus.REVOKED}'", unique=True),
        # Room on each page, so an acceptance's update of the last step stays in place (no index entries).
        {"postgresql_with": {"fillfactor": CARDS_FILLFACTOR}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    card_number: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=CardStatus.ACTIVE)
    # The TOTP secret, AES-GCM encrypted; the associated data names the card and the secret version.
    secret_key_id: Mapped[str] = mapped_column(String(40))
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    secret_version: Mapped[int] = mapped_column(Integer, default=1)
    digits: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(10))
    # SCC2: the public half of the key the citizen's device made (base64 SPKI DER); the private half never
    # leaves the device. A card with one refuses SCC1 codes unless the citizen turned SCC1 on.
    device_public_key: Mapped[str | None] = mapped_column(String(200))
    scc1_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # The source of truth for "a step later than the last accepted one" (Redis holds the fast copy).
    last_accepted_step: Mapped[int | None] = mapped_column(BigInteger)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reissued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Facility(db.Model):
    __tablename__ = "facilities"
    __table_args__ = (enum_check("kind", FacilityKind, name="known_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(20))
    # [{category, discount_percent, residents_only}], validated by the schema; read whole with the facility.
    benefit_rules: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Terminal(db.Model):
    __tablename__ = "facility_terminals"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # sha256 of a 256-bit random key: a fast lookup that is useless to whoever reads the table.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the terminal sent wrong codes for too many cards; its key is refused until an admin releases it.
    quarantined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Visit(db.Model):
    """An accepted verification. Holds the member id the facility saw, never the code."""

    __tablename__ = "card_visits"
    __table_args__ = (
        Index("ix_card_visits_facility_at", "facility_id", "id"),
        Index("ix_card_visits_user_at", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("facility_terminals.id", ondelete="SET NULL"))
    # The accepted code's step: a second scan of the same code at the same terminal finds this visit again.
    step: Mapped[int | None] = mapped_column(BigInteger)
    # Cleared when the citizen revokes the membership, so the facility can no longer link these visits.
    member_id: Mapped[str | None] = mapped_column(String(32))
    member_epoch: Mapped[int] = mapped_column(Integer, default=0)
    benefits: Mapped[list] = mapped_column(JSON, default=list)


class MembershipEpoch(db.Model):
    """How many times a citizen revoked their membership at a facility; part of the member id's input."""

    __tablename__ = "card_membership_epochs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
