"""rider incentives: offers per half-hour slot, mileage accounts, entries and anti-gaming flags

Revision ID: 0015_incentives
Revises: 0014_network
Create Date: 2026-11-29 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_incentives"
down_revision = "0014_network"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "incentive_slots",
        sa.Column("starts_at", STAMP, nullable=False),
        sa.Column("ends_at", STAMP, nullable=False),
        sa.Column("policy", sa.String(length=10), nullable=False),
        sa.Column("published_at", STAMP, nullable=False),
        sa.CheckConstraint("policy IN ('pilot', 'planner')", name=op.f("ck_incentive_slots_known_policy")),
        sa.PrimaryKeyConstraint("starts_at", name=op.f("pk_incentive_slots")),
    )
    op.create_table(
        "incentive_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_starts_at", STAMP, nullable=False),
        sa.Column("slot_ends_at", STAMP, nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('rent', 'return')", name=op.f("ck_incentive_offers_known_kind")),
        sa.CheckConstraint("points > 0", name=op.f("ck_incentive_offers_points_positive")),
        sa.ForeignKeyConstraint(
            ["slot_starts_at"],
            ["incentive_slots.starts_at"],
            name=op.f("fk_incentive_offers_slot_starts_at_incentive_slots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_incentive_offers_station_id_stations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_offers")),
        sa.UniqueConstraint("slot_starts_at", "station_id", "kind", name="one_offer_per_slot_station_kind"),
    )
    op.create_index(
        "ix_incentive_offers_station_kind_slot", "incentive_offers", ["station_id", "kind", "slot_starts_at"]
    )
    op.create_table(
        "mileage_accounts",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("day_points", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=True),
        sa.Column("month_points", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "balance >= 0 AND day_points >= 0 AND month_points >= 0",
            name=op.f("ck_mileage_accounts_points_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mileage_accounts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mileage_accounts")),
    )
    op.create_table(
        "mileage_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rental_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("offered", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("earned_at", STAMP, nullable=False),
        sa.CheckConstraint(
            "reason IN ('rent-at-crowded-station', 'return-at-sparse-station')",
            name=op.f("ck_mileage_entries_known_reason"),
        ),
        sa.CheckConstraint("points > 0 AND points <= offered", name=op.f("ck_mileage_entries_points_within_offer")),
        sa.ForeignKeyConstraint(
            ["rental_id"],
            ["bike_rentals.id"],
            name=op.f("fk_mileage_entries_rental_id_bike_rentals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_mileage_entries_station_id_stations")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mileage_entries_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mileage_entries")),
        sa.UniqueConstraint("rental_id", "reason", name="one_entry_per_rental_reason"),
    )
    op.create_index("ix_mileage_entries_user_earned_at", "mileage_entries", ["user_id", "earned_at"])
    op.create_table(
        "mileage_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rental_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("points_withheld", sa.Integer(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.CheckConstraint(
            "rule IN ('ride-too-short', 'ride-too-near', 'same-bike-repeated', 'same-station-pair-repeated', "
            "'return-and-rent-loop')",
            name=op.f("ck_mileage_flags_known_rule"),
        ),
        sa.ForeignKeyConstraint(
            ["rental_id"], ["bike_rentals.id"], name=op.f("fk_mileage_flags_rental_id_bike_rentals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mileage_flags_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mileage_flags")),
    )
    op.create_index("ix_mileage_flags_created_at", "mileage_flags", ["created_at"])
    op.create_index("ix_mileage_flags_user_id", "mileage_flags", ["user_id"])


def downgrade():
    for table in ("mileage_flags", "mileage_entries", "mileage_accounts", "incentive_offers", "incentive_slots"):
        op.drop_table(table)
