"""What circulation may use of logistics. Nothing else of ``logistics`` is imported from outside
it (import-linter checks this)."""

from logistics.costs import CostModel, load_costs
from logistics.models import Transit
from logistics.repository import open_transit
from logistics.transits import (
    Move,
    abandon,
    close_open,
    home_or_here,
    on_abandoned,
    on_arrival,
    receive,
    route_return,
    send,
)
from logistics.views import transit_count, transit_list

__all__ = [
    "CostModel", "Move", "Transit", "abandon", "close_open", "home_or_here", "load_costs", "on_abandoned",
    "on_arrival", "open_transit", "receive", "route_return", "send", "transit_count", "transit_list",
]
