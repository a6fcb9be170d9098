"""Where a returned copy with no hold to fill should be: at the unit it was returned to, or home.

One pure function, used by the return routing of the service and by the year simulation
(``bench/logistics_sim.py``), so the figures the simulation prints are those of the code that
runs. The facts it weighs are gathered by the caller:

- ``home``: always back to the owning unit (the default of most networks).
- ``float``: stays where it was returned, inside the owning system or float group, unless that
  unit already holds its float limit of copies of the type (the surplus goes on home).
- ``adaptive``: stays where it is borrowed more than at home, counting the trip it saves as
  demand (a four-day trip home is worth one check-out), but never while the owning unit's own
  shelf is drained (half or more of its copies of the type sitting on other units' shelves).
"""

from __future__ import annotations

from dataclasses import dataclass

TRIP_DAYS_PER_LOAN = 4.0  # how many days of travel saved count as much as one check-out
HOME_FLOOR = 0.5  # the share of its own copies a unit keeps before floating stops


@dataclass(frozen=True)
class Facts:
    policy: str  # home | float | adaptive
    may_float: bool  # same system, and inside the float group when the policy names one
    load_here: int = 0  # copies of the type now at the unit it was returned to
    limit_here: int | None = None  # that unit's float limit for the type
    demand_here: float = 0.0  # recent check-outs of the title at that unit
    demand_home: float = 0.0  # at the owning unit
    trip_days: int = 0  # days the trip home takes
    home_share: float = 1.0  # share of the owning unit's copies of the type not on other shelves


def stays(facts: Facts) -> bool:
    """True: shelve it where it was returned; False: send it home."""
    if facts.policy == "home" or not facts.may_float:
        return False
    if facts.limit_here is not None and facts.load_here >= facts.limit_here:
        return False
    if facts.policy == "float":
        return True
    if facts.home_share < HOME_FLOOR:
        return False
    return facts.demand_here + facts.trip_days / TRIP_DAYS_PER_LOAN >= facts.demand_home
