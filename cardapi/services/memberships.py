"""Memberships and visit history: what the citizen sees, and what a facility sees of its members."""

from sqlalchemy import func, select, update

from cardapi.models import Facility, MembershipEpoch, Visit
from cardapi.services.terminals import TerminalContext, get_facility, touch_terminal
from core import audit
from core.db import db, insert_on_conflict, utcnow
from core.errors import Forbidden, NotFound
from core.problems import Message


def _current_epoch(user_id: int):
    """A visit counts as membership only if made under the citizen's current epoch at that facility."""
    return func.coalesce(
        select(MembershipEpoch.epoch)
        .where(MembershipEpoch.user_id == user_id, MembershipEpoch.facility_id == Visit.facility_id)
        .scalar_subquery(),
        0,
    )


def my_memberships(*, user_id: int) -> list[dict]:
    """Facilities where the citizen is a member (visited since the last revocation there)."""
    rows = db.session.execute(
        select(
            Facility.id,
            Facility.name,
            Facility.kind,
            Facility.district,
            func.count(Visit.id),
            func.min(Visit.at),
            func.max(Visit.at),
        )
        .join(Facility, Facility.id == Visit.facility_id)
        .where(Visit.user_id == user_id, Visit.member_epoch == _current_epoch(user_id))
        .group_by(Facility.id, Facility.name, Facility.kind, Facility.district)
        .order_by(func.max(Visit.at).desc())
    )
    return [
        {
            "facility": {"id": fid, "name": name, "kind": kind, "district": district},
            "visits": count,
            "first_visit_at": first,
            "last_visit_at": last,
        }
        for fid, name, kind, district, count, first, last in rows
    ]


def revoke_membership(*, user_id: int, facility_id: int) -> None:
    """Leave a facility: its past records lose the member id, and future visits get a new, unlinkable one."""
    get_facility(facility_id)
    values = {"user_id": user_id, "facility_id": facility_id, "epoch": 1, "revoked_at": utcnow()}
    upsert = insert_on_conflict(MembershipEpoch).values(**values)
    db.session.execute(
        upsert.on_conflict_do_update(
            index_elements=["user_id", "facility_id"],
            set_={"epoch": MembershipEpoch.epoch + 1, "revoked_at": values["revoked_at"]},
        )
    )
    db.session.execute(
        update(Visit)
        .where(Visit.user_id == user_id, Visit.facility_id == facility_id)
        .values(member_id=None)
        .execution_options(synchronize_session=False)
    )
    audit.record("membership_revoked", actor_id=user_id, subject=f"facility:{facility_id}")
    db.session.commit()


def my_visits(*, user_id: int, limit: int, before_id: int | None) -> list[dict]:
    query = (
        select(Visit, Facility.name)
        .join(Facility, Facility.id == Visit.facility_id)
        .where(Visit.user_id == user_id)
        .order_by(Visit.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Visit.id < before_id)
    return [
        {"id": v.id, "at": v.at, "facility_id": v.facility_id, "facility_name": name, "benefits": v.benefits}
        for v, name in db.session.execute(query)
    ]


def facility_visits(
    *, facility_id: int, terminal: TerminalContext | None, limit: int, before_id: int | None
) -> list[Visit]:
    """A facility's visits, for its own terminals or an administrator (the route checks the role)."""
    if terminal is not None:
        if terminal.facility_id != facility_id:
            raise Forbidden(Message("terminals.other_facility"), slug="other-facility")
        touch_terminal(terminal)
        db.session.commit()
    elif db.session.get(Facility, facility_id) is None:
        raise NotFound(Message("facilities.not_found", facility=facility_id), slug="facility-not-found")
    query = select(Visit).where(Visit.facility_id == facility_id).order_by(Visit.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Visit.id < before_id)
    return list(db.session.scalars(query))
