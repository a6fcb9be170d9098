"""All SQL of circulation."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from circulation.models import Patron, PatronBlock, PatronCategory, PatronProxy


def categories(session: Session) -> Sequence[PatronCategory]:
    return session.scalars(select(PatronCategory).order_by(PatronCategory.code)).all()


def patron_by_card(session: Session, card_number: str) -> Patron | None:
    return session.scalars(select(Patron).where(Patron.card_number == card_number)).one_or_none()


def patron_by_id_card(session: Session, id_card_number: str) -> Patron | None:
    return session.scalars(select(Patron).where(Patron.id_card_number == id_card_number)).one_or_none()


def active_blocks(session: Session, patron_id: int) -> Sequence[PatronBlock]:
    return session.scalars(
        select(PatronBlock).where(PatronBlock.patron_id == patron_id, PatronBlock.lifted_at.is_(None))
        .order_by(PatronBlock.id)
    ).all()


def proxies_of(session: Session, patron_id: int) -> list[str]:
    return list(session.scalars(
        select(Patron.card_number).join(PatronProxy, PatronProxy.proxy_id == Patron.id)
        .where(PatronProxy.patron_id == patron_id).order_by(Patron.card_number)
    ))


def proxy_for(session: Session, proxy_id: int) -> list[str]:
    return list(session.scalars(
        select(Patron.card_number).join(PatronProxy, PatronProxy.patron_id == Patron.id)
        .where(PatronProxy.proxy_id == proxy_id).order_by(Patron.card_number)
    ))


def proxy_link(session: Session, patron_id: int, proxy_id: int) -> PatronProxy | None:
    return session.scalars(
        select(PatronProxy).where(PatronProxy.patron_id == patron_id, PatronProxy.proxy_id == proxy_id)
    ).one_or_none()
