"""Use cases for return policies and float groups. They never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog.public import ITEM_TYPES
from ils.errors import InvalidInput, NotFound
from ils.network import repository as units_repo
from ils.network.service import get_unit
from logistics import repository as repo
from logistics.models import ANY, FloatGroup, FloatGroupUnit, FloatLimit, ReturnPolicy
from logistics.schemas import FloatGroupRead, FloatGroupWrite, FloatLimitWrite, ReturnPolicyWrite
from logistics.transits import forget_policies


def save_policy(session: Session, data: ReturnPolicyWrite, actor: str, now: datetime) -> ReturnPolicy:
    if data.system_code != ANY and get_unit(session, data.system_code).level != "main":
        raise InvalidInput("RETURN_POLICY_INVALID", "system_code must name a 总馆 (level main) or be *")
    if data.item_type not in (ANY, *ITEM_TYPES):
        raise InvalidInput("RETURN_POLICY_INVALID", f"item type must be * or one of {', '.join(ITEM_TYPES)}")
    # An empty code is a code like any other: no group has it (it used to reach the foreign key).
    if data.float_group is not None and session.get(FloatGroup, data.float_group) is None:
        raise InvalidInput("RETURN_POLICY_INVALID", f"no float group {data.float_group!r}")
    policy = session.scalars(select(ReturnPolicy).where(
        ReturnPolicy.system_code == data.system_code, ReturnPolicy.item_type == data.item_type)).one_or_none()
    if policy is None:
        policy = ReturnPolicy(system_code=data.system_code, item_type=data.item_type)
        session.add(policy)
    policy.policy, policy.float_group = data.policy, data.float_group
    policy.updated_at, policy.updated_by = now, actor
    session.flush()
    forget_policies()
    return policy


def delete_policy(session: Session, policy_id: int) -> None:
    policy = session.get(ReturnPolicy, policy_id)
    if policy is None:
        raise NotFound("RETURN_POLICY_INVALID", f"no return policy {policy_id}")
    session.delete(policy)
    forget_policies()


def save_float_group(session: Session, code: str, data: FloatGroupWrite) -> FloatGroupRead:
    unit_ids = [get_unit(session, c).id for c in data.units]
    group = session.get(FloatGroup, code)
    if group is None:
        group = FloatGroup(code=code, name=data.name)
        session.add(group)
    group.name = data.name
    session.flush()
    session.execute(delete(FloatGroupUnit).where(FloatGroupUnit.group_code == code))
    session.add_all(FloatGroupUnit(group_code=code, unit_id=uid) for uid in sorted(set(unit_ids)))
    session.flush()
    return read_float_group(session, group)


def read_float_group(session: Session, group: FloatGroup) -> FloatGroupRead:
    codes = units_repo.code_map(session)
    units = sorted(codes[uid] for uid in repo.float_group_units(session, group.code))
    return FloatGroupRead(code=group.code, name=group.name, units=units)


def float_groups(session: Session) -> list[FloatGroupRead]:
    return [read_float_group(session, g) for g in session.scalars(select(FloatGroup).order_by(FloatGroup.code))]


def save_float_limit(session: Session, data: FloatLimitWrite) -> FloatLimit:
    unit = get_unit(session, data.unit)
    if data.item_type not in (ANY, *ITEM_TYPES):
        raise InvalidInput("RETURN_POLICY_INVALID", f"item type must be * or one of {', '.join(ITEM_TYPES)}")
    limit = session.get(FloatLimit, (unit.id, data.item_type))
    if limit is None:
        limit = FloatLimit(unit_id=unit.id, item_type=data.item_type)
        session.add(limit)
    limit.max_copies = data.max_copies
    session.flush()
    return limit


def float_limits(session: Session) -> list[FloatLimitWrite]:
    codes = units_repo.code_map(session)
    return [FloatLimitWrite(unit=codes[f.unit_id], item_type=f.item_type, max_copies=f.max_copies)
            for f in session.scalars(select(FloatLimit).order_by(FloatLimit.unit_id, FloatLimit.item_type))]
