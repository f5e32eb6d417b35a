"""mileage entries: a return's points can be taken back (a negative entry) when the rider rents again near it

Revision ID: 0018_mileage_loops
Revises: 0017_qr_lean
Create Date: 2026-11-30 00:40:00

Returning at a sparse station and renting again there (or 300 m away) at once leaves its stock as it was,
so the return's points are reversed by an entry of reason `return-taken-back` carrying the same rental
(the unique rental-and-reason pair lets a return be taken back once).
"""

from alembic import op

revision = "0018_mileage_loops"
down_revision = "0017_qr_lean"
branch_labels = None
depends_on = None

BEFORE = (
    "reason IN ('rent-at-crowded-station', 'return-at-sparse-station')",
    "points > 0 AND points <= offered",
)
AFTER = (
    "reason IN ('rent-at-crowded-station', 'return-at-sparse-station', 'return-taken-back')",
    "(reason <> 'return-taken-back' AND points > 0 AND points <= offered)"
    " OR (reason = 'return-taken-back' AND points < 0 AND -points <= offered)",
)


def _constraints(known_reason: str, points_within_offer: str) -> None:
    with op.batch_alter_table("mileage_entries") as batch:
        for name, condition in (("known_reason", known_reason), ("points_within_offer", points_within_offer)):
            batch.drop_constraint(batch.f(f"ck_mileage_entries_{name}"), type_="check")
            batch.create_check_constraint(batch.f(f"ck_mileage_entries_{name}"), condition)


def upgrade():
    _constraints(*AFTER)


def downgrade():
    op.execute("DELETE FROM mileage_entries WHERE reason = 'return-taken-back'")  # the older schema has none
    _constraints(*BEFORE)
