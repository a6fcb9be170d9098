"""The demo's past: last year and this year of a county network's life, so that the statistics,
the annual report and the evaluation have something to show on a newcomer's first run.

Everything goes through the service's own use cases, at the moment it happened (each call is
given its day's time, and the clock is set to it): readers get their cards, copies are lent at
the desk, renewed, returned (some at another unit, 通还, and then received home off the van),
gate counts are imported as a counter's CSV, activities are recorded, and the 总馆 enters last
year's annual figures. Only the catalogue's accession dates are set back by hand: the demo's
copies were imported today, but a real county's shelves were filled over the years before, and
the stock figures of last year need them on the shelf then.

The volume follows a county's rhythm: the 总馆 lends most and a village point least; weekends
are busier, and so are the winter and summer school holidays; Spring Festival is quiet. It is
random but seeded, so every demo is the same.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from rich.console import Console
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ils.auth.principal import job
from ils.clock import FixedClock, get_clock, set_clock
from ils.config import get_settings
from ils.db import Database
from ils.network.calendar import is_open_on
from ils.network.models import Unit

SEED = 2025
# Loans a day at an open unit of each level, before the season and the weekday.
DAILY_LOANS = {"main": 1.6, "branch": 0.45, "study_room": 0.4, "service_point": 0.12, "mobile": 0.25}
READERS_PER_UNIT = {"main": 60, "branch": 18, "study_room": 10, "service_point": 4, "mobile": 5}
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "建华秀英丽娟国强子涵欣怡浩然雨桐志明海燕文博思远晓东春梅俊杰佳怡明轩若曦"
NEW_STOCK_SHARE = 0.12  # copies accessioned this year and last rather than before


def _season(day: date) -> float:
    if day.month in (7, 8) or (day.month == 1 and day.day >= 15) or (day.month == 2 and day.day <= 20):
        season = 1.5  # school holidays
    elif day.month in (3, 4, 5, 10, 11):
        season = 1.0
    else:
        season = 0.85
    return season * (1.6 if day.weekday() >= 5 else 1.0)


@dataclass(order=True)
class _Due:
    at: datetime
    kind: str = field(compare=False)  # "return", "renew", "receive"
    barcode: str = field(compare=False)
    unit: str = field(compare=False)


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), get_settings().tz)


def build(database: Database, console: Console, *, start: date, end: date) -> str:
    """The network's life from ``start`` to ``end`` (both included). Runs once: a database that
    has loans before ``start`` + 1 day is left as it is."""
    from catalog.models import Item
    from circulation import loans, patrons
    from circulation.models import Loan, Patron
    from circulation.schemas import PatronCreate
    from ils.errors import DomainError

    rng = random.Random(SEED)
    system = job("demo")
    with database.session() as session:
        if session.scalar(select(Loan.id).where(Loan.checked_out_at < _at(start + timedelta(days=1), 0, 0))
                          .limit(1)) is not None:
            return "history already there; left as it is"
        units = list(session.scalars(select(Unit).where(Unit.level.in_(list(DAILY_LOANS)))))
        _backdate_stock(session, rng, start, end)
        items = session.execute(select(Item.barcode, Item.owning_unit_id, Item.created_at)
                                .where(Item.status == "available")).all()
    by_id = {u.id: u for u in units}
    shelves: dict[str, list[tuple[str, datetime]]] = {}
    for barcode, owner, created in items:
        if owner in by_id:
            shelves.setdefault(by_id[owner].code, []).append((barcode, created))
    # Readers, with their cards issued over the two years (most of them before).
    readers: dict[str, list[str]] = {}
    registrations: list[tuple[datetime, Unit, str, str]] = []
    number = 100
    for unit in units:
        for _ in range(READERS_PER_UNIT[unit.level]):
            number += 1
            day = start - timedelta(days=rng.randint(1, 900)) if rng.random() < 0.7 else \
                start + timedelta(days=rng.randint(0, (end - start).days))
            name = rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            category = rng.choices(["adult", "child", "senior"], [6, 3, 1])[0]
            registrations.append((_at(day, 10, rng.randint(0, 59)), unit, f"DC{number:08d}", name + "|" + category))
    registrations.sort(key=lambda r: r[0])
    for when, unit, card, who in registrations:
        name, category = who.split("|")
        with _clock(when), database.session() as session:
            patrons.register(session, PatronCreate(card_number=card, name=name, category=category, unit=unit.code),
                             system, when)
        readers.setdefault(unit.code, []).append(card)
    registered = {card: when for when, _u, card, _w in registrations}

    due: list[_Due] = []
    on_loan: dict[str, tuple[str, str]] = {}  # barcode -> (card, lending unit)
    counts = {"loans": 0, "renewals": 0, "returns": 0, "away": 0}
    day = start
    while day <= end:
        closing = _at(day, 20, 0)
        with database.session() as session:
            while due and due[0].at <= closing:
                event = heapq.heappop(due)
                with _clock(event.at):
                    _settle(session, event, on_loan, shelves, due, rng, counts, day, end)
            for unit in units:
                if not is_open_on(unit.hours or {}, frozenset(), day):
                    continue
                expected = DAILY_LOANS[unit.level] * _season(day)
                if day.month == 2 and day.day <= 14:
                    expected *= 0.3  # Spring Festival
                wanted = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
                shelf = [b for b in shelves.get(unit.code, []) if b[1] < _at(day, 9, 0)]
                cards = [c for c in readers.get(unit.code, []) if registered[c] < _at(day, 9, 0)]
                for _ in range(min(wanted, len(shelf), len(cards))):
                    barcode, created = shelf.pop(rng.randrange(len(shelf)))
                    card = rng.choice(cards)
                    when = _at(day, rng.randint(9, 17), rng.randint(0, 59))
                    shelves[unit.code].remove((barcode, created))
                    try:
                        with _clock(when), session.begin_nested():
                            loans.checkout(session, loans.CheckoutRequest(card, barcode, unit.code), system, when)
                    except DomainError:  # the reader is at a limit, the copy wanted by a hold …: as at a desk
                        continue
                    on_loan[barcode] = (card, unit.code)
                    counts["loans"] += 1
                    if rng.random() < 0.12:  # renewed in the last days before it falls due
                        heapq.heappush(due, _Due(when + timedelta(days=24), "renew", barcode, unit.code))
                    else:
                        keep = rng.choice([7, 10, 14, 18, 21, 25, 28])
                        heapq.heappush(due, _Due(when + timedelta(days=keep, hours=rng.randint(-3, 3)), "return",
                                                 barcode, unit.code))
        day += timedelta(days=1)
    console.print(f"history {start} to {end}: {len(registrations)} readers, {counts['loans']} loans, "
                  f"{counts['renewals']} renewals, {counts['returns']} returns ({counts['away']} elsewhere)")
    with database.session() as session:
        extra = _entries(session, units, rng, start, end)
    return f"{counts['loans']} loans over {(end - start).days + 1} days; {extra}"


def _settle(session: Session, event: _Due, on_loan: dict[str, tuple[str, str]],
            shelves: dict[str, list[tuple[str, datetime]]], due: list[_Due], rng: random.Random,
            counts: dict[str, int], day: date, end: date) -> None:
    from circulation import loans
    from ils.errors import DomainError

    system = job("demo")
    if event.kind == "receive":
        try:
            with session.begin_nested():
                loans.receive_copy(session, event.barcode, event.unit, system, event.at)
        except DomainError:
            return
        shelves.setdefault(event.unit, []).append((event.barcode, event.at - timedelta(days=3650)))
        return
    if event.barcode not in on_loan:
        return
    card, lent_at = on_loan[event.barcode]
    if event.kind == "renew":
        try:
            with session.begin_nested():
                loans.renew(session, loans.RenewRequest(event.barcode, lent_at), system, event.at)
            counts["renewals"] += 1
        except DomainError:
            pass
        heapq.heappush(due, _Due(event.at + timedelta(days=rng.randint(5, 20)), "return", event.barcode, lent_at))
        return
    # 通还: one return in six at another unit of the same 总馆's town (here: the 总馆 itself, or back).
    here = lent_at
    if rng.random() < 0.17:
        here = "DC" if lent_at != "DC" else rng.choice(["DC-TD", "DC-BG", "DC-SF"])
    try:
        with session.begin_nested():
            outcome = loans.checkin(session, event.barcode, here, system, event.at)
    except DomainError:
        return
    del on_loan[event.barcode]
    counts["returns"] += 1
    if here != lent_at:
        counts["away"] += 1
    if outcome.move.disposition == "transit" and outcome.move.destination_id is not None:
        destination = session.get(Unit, outcome.move.destination_id)
        assert destination is not None
        heapq.heappush(due, _Due(event.at + timedelta(days=rng.randint(1, 4)), "receive", event.barcode,
                                 destination.code))
    elif outcome.move.disposition == "shelve":
        shelves.setdefault(here, []).append((event.barcode, event.at - timedelta(days=3650)))


def _backdate_stock(session: Session, rng: random.Random, start: date, end: date) -> None:
    """Accession dates over the years before, and a share in the two years shown."""
    from catalog.models import Item

    ids = list(session.scalars(select(Item.id).order_by(Item.id)))
    span = (end - start).days
    for item_id in ids:
        if rng.random() < NEW_STOCK_SHARE:
            day = start + timedelta(days=rng.randint(0, span))
        else:
            day = start - timedelta(days=rng.randint(30, 3650))
        when = _at(day, 9, 0)
        session.execute(update(Item).where(Item.id == item_id).values(created_at=when, updated_at=when))


def _entries(session: Session, units: list[Unit], rng: random.Random, start: date, end: date) -> str:
    """Gate counts for the units with a counter (the 总馆 and the branches), activities, and last
    year's annual figures of the 总馆."""
    from activities import service as activities
    from activities.schemas import ActivityCreate
    from reports.entries import annual, visits

    system = job("demo")
    now = _at(end, 20, 0)
    lines = ["unit,date,hour,in,out"]
    for unit in units:
        if unit.level not in ("main", "branch"):
            continue
        day = start
        while day <= end:
            if is_open_on(unit.hours or {}, frozenset(), day):
                base = (70 if unit.level == "main" else 14) * _season(day)
                came = max(0, int(rng.gauss(base, base / 5)))
                lines.append(f"{unit.code},{day.isoformat()},,{came},{max(0, came - rng.randint(0, 3))}")
            day += timedelta(days=1)
    result = visits.import_visits(session, ("\n".join(lines) + "\n").encode(), "demo-gate-counters.csv", system, now)
    held = 0
    branches = [u for u in units if u.level == "branch"]
    types = ["lecture", "reading_promotion", "exhibition", "training", "books_to_villages"]
    month = date(start.year, start.month, 1)
    while month <= end:
        # The 总馆 takes a few activities to its branches each month (more this year than last);
        # each branch holds one or two of its own.
        outreach = 2 if month.year == start.year else 3
        for _ in range(outreach):
            where = rng.choice(branches)
            held += _activity(session, activities, ActivityCreate, system, where.code, "DC", rng, month, end, types)
        for branch in branches:
            for _ in range(rng.randint(1, 2)):
                held += _activity(session, activities, ActivityCreate, system, branch.code, branch.code, rng, month,
                                  end, types)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    annual.enter(session, "DC", start.year, {
        "staff_established": 18, "staff_contract": 9, "staff_professional": 12, "volunteers": 40,
        "floor_area": "6200.00", "seats": 420, "computers": 60, "computers_public": 36,
        "periodicals": 180, "newspapers": 24, "income_fiscal": 4_200_000_00, "spend_acquisitions": 600_000_00,
        "spend_staff": 2_900_000_00, "spend_other": 500_000_00}, system, now)
    return f"{result.imported} days of gate counts, {held} activities, the 总馆's {start.year} annual figures"


def _activity(session: Session, activities: object, create: type, system: object, unit: str, organiser: str,
              rng: random.Random, month: date, end: date, types: list[str]) -> int:
    day = month + timedelta(days=rng.randint(0, 27))
    if day > end:
        return 0
    kind = rng.choice(types)
    titles = {"lecture": "健康养生讲座", "reading_promotion": "亲子共读会", "exhibition": "东川铜文化图片展",
              "training": "老年人智能手机培训", "books_to_villages": "送书下乡"}
    activities.create(session, create(type=kind, title=titles[kind], unit=unit, organiser=organiser,  # type: ignore[attr-defined]
                                      held_on=day, attendance=rng.randint(15, 80)), system, _at(day, 19, 0))
    return 1


class _clock:
    """The clock set to ``at`` for what the use cases read from it besides their ``now``."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.before = get_clock()

    def __enter__(self) -> None:
        self.before = get_clock()
        set_clock(FixedClock(self.at))

    def __exit__(self, *exc: object) -> None:
        set_clock(self.before)
