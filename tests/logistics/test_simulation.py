"""The year simulation (bench/logistics_sim.py) runs on the demo network and its figures hang
together: the same demand under every policy, fewer transits when copies may stay."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

SIM = Path(__file__).resolve().parents[2] / "bench" / "logistics_sim.py"


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("logistics_sim", SIM)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_a_short_simulation_moves_fewer_books_when_copies_may_stay_and_loses_none():
    sim = _module()
    units, table = sim.load_network()
    args = argparse.Namespace(days=60, titles=1500, loans_per_day=120, seed=3)
    results = {}
    for policy in sim.POLICIES:
        world = sim.World(units, table, policy, args)
        results[policy] = world.run(args.days)
        states = {c.state for c in world.copies}
        assert states <= {"shelf", "loan", "road"}
        assert sum(world.shelf.values()) == sum(1 for c in world.copies if c.state == "shelf")
    assert all(r.loans > 500 for r in results.values())
    assert results["float"].transits < results["adaptive"].transits < results["home"].transits
    assert results["float"].unavailable_days == 0 < results["home"].unavailable_days
