"""Logistics figures for managers: how much travels, how long it takes, and how often a reader's
hold arrives by the day it was promised."""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import quantiles

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from ils.config import get_settings
from logistics import repository as repo
from logistics.models import Transit
from logistics.schemas import TransitFigures


def _percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return round(quantiles(values, n=100, method="inclusive")[q - 1], 1)


def figures(session: Session, now: datetime, days: int, unit_id: int | None = None) -> TransitFigures:
    """Network figures, or with ``unit_id`` those of the transits that leave or reach that unit."""
    tz = get_settings().tz
    today = now.astimezone(tz).date()
    since = today - timedelta(days=days)
    start = datetime.combine(since, datetime.min.time(), tzinfo=tz)
    touches = (or_(Transit.from_unit_id == unit_id, Transit.to_unit_id == unit_id) if unit_id is not None
               else true())
    sent = int(session.scalar(select(func.count()).select_from(Transit).where(Transit.created_at >= start,
                                                                                touches)) or 0)
    received = [t for t in repo.closed_transits(session, start)
                if unit_id is None or unit_id in (t.from_unit_id, t.to_unit_id)]
    on_road = [(t.closed_at - t.created_at).total_seconds() / 86400 for t in received if t.closed_at]
    holds = [t for t in received if t.reason == "hold" and t.promised_on is not None and t.closed_at]
    on_time = sum(1 for t in holds if t.closed_at and t.closed_at.astimezone(tz).date() <= t.promised_on)  # type: ignore[operator]
    late = int(session.scalar(select(func.count()).select_from(Transit).where(
        Transit.status == "open", Transit.promised_on < today, touches)) or 0)
    return TransitFigures(
        since=since, transits=sent, per_day=round(sent / days, 2), received=len(received),
        days_on_road_p50=_percentile(on_road, 50), days_on_road_p95=_percentile(on_road, 95),
        hold_deliveries=len(holds), hold_on_time_share=round(on_time / len(holds), 3) if holds else None,
        late_now=late,
    )
