"""A year of borrowing on the demo county network, under each return policy.

    .venv/bin/python bench/logistics_sim.py [--days 364] [--titles 8000] [--loans-per-day 250] [--seed 1]

The network is ``ils/demo/network.yaml`` (the 东川 system; 寻甸 and the city library take no
part) with its opening hours and closed days, and the vans are ``ils/demo/routes.yaml``. Paths
and promised days come from ``logistics.timetable`` and the decision to keep a returned copy or
send it home from ``logistics.placement`` — the code the service runs — so the figures are
those of the system, on synthetic demand:

- titles are borrowed with Zipf-like popularity, and readers at the 总馆 and the town-centre
  branches borrow most (demand follows population, weighted towards the town);
- a reader who finds no copy on their unit's shelf looks for up to three titles; one in ten
  place a hold collected there instead, filled by the copy the vans bring soonest, or by the
  first copy returned;
- loans last 7–35 days; one return in five happens at another unit of the same branch area or
  in town (people work in town and live in the villages);
- each copy belongs to one unit; new-year stock is spread by population.

For each policy it prints: transits, crate-hops (one crate per van leg and day between two
units, however many books it holds), the average days a returned book is unavailable (on the
road), hold delivery time p50/p95 (placing to the copy on the pickup unit's hold shelf), and
how unbalanced the shelves end up (per unit: copies on its shelf ÷ copies it owns; the lowest
ratio shows a drained shelf, the spread how uneven the network became).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import statistics
import sys
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ils.network.calendar import is_open_on  # noqa: E402
from logistics.placement import Facts, stays  # noqa: E402
from logistics.timetable import Path as TravelPath  # noqa: E402
from logistics.timetable import RouteInfo, Timetable  # noqa: E402

SYSTEM = "DC"
POLICIES = ("home", "float", "float groups + limits", "adaptive")
DEMAND_WINDOW = 180
HOLD_SHARE = 0.1  # of readers who find no copy on the shelf, this many place a hold


@dataclass
class Unit:
    id: int
    code: str
    level: str
    parent: str | None
    population: int
    hours: dict[str, list[str]]
    closed: frozenset[date]
    area: str = ""


@dataclass
class Copy:
    id: int
    title: int
    home: int
    at: int
    state: str = "shelf"  # shelf | loan | road | held


@dataclass
class Result:
    transits: int = 0
    crate_legs: set[tuple[date, str, int, int]] = field(default_factory=set)
    returns: int = 0
    unavailable_days: int = 0
    hold_days: list[int] = field(default_factory=list)
    loans: int = 0
    holds: int = 0


def load_network() -> tuple[dict[int, Unit], Timetable]:
    document = yaml.safe_load((ROOT / "ils/demo/network.yaml").read_text("utf-8"))
    units: dict[int, Unit] = {}
    by_code: dict[str, Unit] = {}
    for n, entry in enumerate(document["units"], start=1):
        unit = Unit(n, entry["code"], entry["level"], entry.get("parent"), int(entry.get("population") or 0),
                    entry.get("hours") or {}, frozenset(date.fromisoformat(d) for d in entry.get("closed_dates", [])))
        units[n], by_code[unit.code] = unit, unit
    keep = {u.id for u in units.values() if u.code == SYSTEM or (u.code.startswith(SYSTEM + "-")
                                                                 and u.level not in ("mobile",))}
    for unit in units.values():
        top = unit
        while top.level not in ("branch", "main", "center") and top.parent:
            top = by_code[top.parent]
        unit.area = top.code
    routes_doc = yaml.safe_load((ROOT / "ils/demo/routes.yaml").read_text("utf-8"))
    routes = []
    for n, route in enumerate(routes_doc["routes"], start=1):
        if route.get("mobile_unit"):  # the mobile library's readers are not simulated
            continue
        stops = tuple(by_code[s["unit"]].id for s in route["stops"])
        if not set(stops) <= keep:
            continue
        skip = frozenset(date.fromisoformat(d["day"]) for d in route.get("days", []) if not d["runs"])
        extra = frozenset(date.fromisoformat(d["day"]) for d in route.get("days", []) if d["runs"])
        routes.append(RouteInfo(n, route["code"], stops, frozenset(route["weekdays"]), extra, skip))
    kept = {i: u for i, u in units.items() if i in keep}
    return kept, Timetable(routes, {u.id: (u.hours, u.closed) for u in kept.values()})


class World:
    def __init__(self, units: dict[int, Unit], table: Timetable, policy: str, args: argparse.Namespace):
        self.units, self.table, self.policy = units, table, policy
        self.rng = random.Random(args.seed)  # the same demand for every policy
        self.start = date(2026, 1, 5)
        self.result = Result()
        lending = [u for u in units.values() if u.level != "center"]
        # Demand follows population, weighted towards the 总馆 and town-centre units.
        town = {"DC", "DC-TD", "DC-BG", "DC-SF"}
        self.weights = {u.id: (u.population or 3000) * (3.0 if u.code in town else 1.0) for u in lending}
        if not any(u.population for u in lending if u.code == "DC-SF"):
            self.weights[next(u.id for u in lending if u.code == "DC-SF")] = 40000.0
        total = sum(self.weights.values())
        self.loans_per_day = {uid: args.loans_per_day * w / total for uid, w in self.weights.items()}
        # The collection: every title has 1–4 copies, owned by units in proportion to demand.
        self.copies: list[Copy] = []
        self.by_title: dict[int, list[Copy]] = defaultdict(list)
        owners = list(self.weights)
        owner_weights = [self.weights[u] for u in owners]
        for title in range(args.titles):
            for _ in range(self.rng.choice((1, 1, 2, 2, 3, 4))):
                home = self.rng.choices(owners, owner_weights)[0]
                copy = Copy(len(self.copies), title, home, home)
                self.copies.append(copy)
                self.by_title[title].append(copy)
        popularity = [1.0 / (rank + 1) ** 0.9 for rank in range(args.titles)]
        self.titles = list(range(args.titles))
        self.cumulative = list(itertools.accumulate(popularity))
        self.owned = Counter(c.home for c in self.copies)
        self.holds: dict[int, deque[tuple[int, date]]] = defaultdict(deque)  # title → (pickup, placed)
        self.events: list[tuple[date, int, str, int, int]] = []  # (day, seq, kind, copy, unit)
        self.seq = 0
        self.demand: dict[tuple[int, int], deque[date]] = defaultdict(deque)  # (title, unit) → loan days
        self.limits = {u: int(n * 1.2) + 2 for u, n in self.owned.items()}
        self.groups = {"DC": "TOWN", "DC-TD": "TOWN", "DC-BG": "TOWN", "DC-SF": "TOWN"}
        self.shelf = Counter(c.at for c in self.copies)
        self.away = Counter()  # per owning unit: its copies sitting on other units' shelves

    def to_shelf(self, copy: Copy, unit: int) -> None:
        copy.state, copy.at = "shelf", unit
        self.shelf[unit] += 1
        self.away[copy.home] += unit != copy.home

    def off_shelf(self, copy: Copy) -> None:
        if copy.state == "shelf":
            self.shelf[copy.at] -= 1
            self.away[copy.home] -= copy.at != copy.home

    # ---- scheduling ------------------------------------------------------------------
    def at(self, day: date, kind: str, copy: Copy, unit: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (day, self.seq, kind, copy.id, unit))

    def path(self, a: int, b: int, day: date) -> TravelPath | None:
        return self.table.path(a, b, day)  # the timetable remembers the paths it has searched

    def send(self, copy: Copy, to: int, day: date, then: str) -> date:
        """Put the copy on the road; returns the day it arrives."""
        path = self.path(copy.at, to, day)
        self.result.transits += 1
        if path is None:  # no van connects them: a staff car, a week
            arrives = day + timedelta(days=7)
        else:
            arrives = path.promised_on
            for hop in path.hops:
                self.result.crate_legs.add((hop.day, hop.route_code, hop.from_unit_id, hop.to_unit_id))
        self.off_shelf(copy)
        copy.state = "road"
        self.at(arrives, then, copy, to)
        return arrives

    def open_on_or_after(self, unit: int, day: date) -> date:
        u = self.units[unit]
        for offset in range(30):
            candidate = day + timedelta(days=offset)
            if is_open_on(u.hours, u.closed, candidate):
                return candidate
        return day

    # ---- the reader's side -----------------------------------------------------------
    def borrow(self, copy: Copy, unit: int, day: date) -> None:
        self.off_shelf(copy)
        copy.state, copy.at = "loan", unit
        self.result.loans += 1
        self.demand[(copy.title, unit)].append(day)
        back = day + timedelta(days=self.rng.randint(7, 35))
        where = unit
        if self.rng.random() < 0.2:
            nearby = [u for u in self.units.values() if u.level != "center"
                      and (u.area == self.units[unit].area or u.code in self.groups)]
            where = self.rng.choice(nearby).id
        self.at(self.open_on_or_after(where, back), "return", copy, where)

    def wants(self, title: int, unit: int, day: date) -> bool:
        """A reader at ``unit`` asks for a title: borrows a copy on the shelf here, or (sometimes)
        places a hold; returns whether they went home with a book or a hold."""
        shelf = [c for c in self.by_title[title] if c.state == "shelf"]
        here = [c for c in shelf if c.at == unit]
        if here:
            self.borrow(here[0], unit, day)
            return True
        if self.rng.random() >= HOLD_SHARE:
            return False  # takes another book instead
        self.result.holds += 1
        if shelf:  # the copy the vans bring soonest
            def arrival(c: Copy) -> date:
                p = self.path(c.at, unit, day)
                return p.promised_on if p is not None else day + timedelta(days=7)
            best = min(shelf, key=lambda c: (arrival(c), c.id))
            best_arrival = self.send(best, unit, day, "ready")
            self.result.hold_days.append((best_arrival - day).days)
            return True
        self.holds[title].append((unit, day))
        return True

    # ---- the library's side ----------------------------------------------------------
    def returned(self, copy: Copy, unit: int, day: date) -> None:
        self.result.returns += 1
        copy.at = unit
        queue = self.holds[copy.title]
        if queue:
            pickup, placed = queue.popleft()
            if pickup == unit:
                self.result.hold_days.append((day - placed).days)
                self.borrow(copy, unit, day)
            else:
                arrives = self.send(copy, pickup, day, "ready")
                self.result.hold_days.append((arrives - placed).days)
            return
        if self.decide_stays(copy, unit, day):
            self.to_shelf(copy, unit)
            return
        arrives = self.send(copy, copy.home, day, "shelve")
        self.result.unavailable_days += (arrives - day).days

    def decide_stays(self, copy: Copy, unit: int, day: date) -> bool:
        if unit == copy.home:
            return True
        policy = {"float groups + limits": "float"}.get(self.policy, self.policy)
        may_float = True
        limit = None
        if self.policy == "float groups + limits":
            here, home = self.units[unit], self.units[copy.home]
            group_here = self.groups.get(here.code, here.area)
            group_home = self.groups.get(home.code, home.area)
            may_float = group_here == group_home
            limit = self.limits.get(unit, 2)
        facts = Facts(policy, may_float, load_here=self.shelf[unit], limit_here=limit)
        if self.policy == "adaptive":
            since = day - timedelta(days=DEMAND_WINDOW)

            def demand(u: int) -> int:
                days = self.demand[(copy.title, u)]
                while days and days[0] < since:
                    days.popleft()
                return len(days)

            away = self.away[copy.home]
            p = self.path(unit, copy.home, day)
            trip = (p.promised_on - day).days if p is not None else 7
            facts = Facts("adaptive", True, load_here=self.shelf[unit], demand_here=demand(unit),
                          demand_home=demand(copy.home), trip_days=trip,
                          home_share=1.0 - away / self.owned[copy.home] if self.owned[copy.home] else 1.0)
        return stays(facts)

    def arrive(self, kind: str, copy: Copy, unit: int, day: date) -> None:
        copy.at = unit
        if kind == "ready":  # on the hold shelf; the reader collects it and borrows it
            self.borrow(copy, unit, day)
        else:
            self.to_shelf(copy, unit)

    def run(self, days: int) -> Result:
        units = list(self.loans_per_day)
        for offset in range(days):
            day = self.start + timedelta(days=offset)
            while self.events and self.events[0][0] <= day:
                _, _, kind, copy_id, unit = heapq.heappop(self.events)
                copy = self.copies[copy_id]
                if kind == "return":
                    self.returned(copy, unit, day)
                else:
                    self.arrive(kind, copy, unit, day)
            for unit in units:
                u = self.units[unit]
                if not is_open_on(u.hours, u.closed, day):
                    continue
                # Open days carry the week's demand (a point open 3 days sees it on those days).
                open_days = sum(1 for d in u.hours.values() if d) or 1
                rate = self.loans_per_day[unit] * 7 / open_days
                count = int(rate) + (self.rng.random() < rate - int(rate))
                for _ in range(count):
                    for _attempt in range(3):  # a reader looks for up to three titles
                        title = self.rng.choices(self.titles, cum_weights=self.cumulative)[0]
                        if self.wants(title, unit, day):
                            break
        return self.result

    def balance(self) -> tuple[float, float]:
        ratios = [self.shelf[u] / n for u, n in self.owned.items() if n >= 20]
        return min(ratios), statistics.pstdev(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=364)
    parser.add_argument("--titles", type=int, default=8000)
    parser.add_argument("--loans-per-day", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    units, table = load_network()
    print(f"network: {len(units)} units of {SYSTEM}, {len(table.routes)} van routes; {args.days} days, "
          f"{args.titles} titles, about {args.loans_per_day} loans a day, seed {args.seed}")
    header = (f"{'policy':<24}{'loans':>8}{'holds':>7}{'transits':>10}{'crate-hops':>11}{'days off shelf':>15}"
              f"{'hold p50':>9}{'hold p95':>9}{'min shelf/owned':>16}{'spread':>8}{'s':>6}")
    print(header)
    for policy in POLICIES:
        started = time.perf_counter()
        world = World(units, table, policy, args)
        result = world.run(args.days)
        low, spread = world.balance()
        holds = sorted(result.hold_days)
        p50 = holds[len(holds) // 2] if holds else 0
        p95 = holds[int(len(holds) * 0.95)] if holds else 0
        per_return = result.unavailable_days / result.returns if result.returns else 0.0
        print(f"{policy:<24}{result.loans:>8}{result.holds:>7}{result.transits:>10}{len(result.crate_legs):>11}"
              f"{per_return:>15.2f}{p50:>9}{p95:>9}{low:>16.2f}{spread:>8.2f}{time.perf_counter() - started:>6.1f}")
    print("days off shelf: average per returned book of the days it spent travelling home (0 when it stayed);"
          " hold p50/p95: days from placing a hold to the copy on the pickup unit's hold shelf;"
          " min shelf/owned and spread: over units owning ≥ 20 copies, copies on the unit's shelf ÷ copies it owns"
          " (a drained shelf shows as a low minimum).")


if __name__ == "__main__":
    main()
