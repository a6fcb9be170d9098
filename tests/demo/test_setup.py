"""`ils demo` builds a usable county network and catalogue through the real paths."""

from __future__ import annotations

import io

from rich.console import Console
from sqlalchemy import func, select

from catalog.models import Item, Record
from circulation.models import Hold, Loan
from ils.auth.models import PatronAccount, StaffUser
from ils.network.models import Unit
from logistics.models import Route, Transit


def _count(db, model) -> int:
    with db.session(write=False) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_demo_builds_network_accounts_and_catalogue_and_is_rerunnable(db, client, monkeypatch):
    from circulation.sip2.models import Sip2Account
    from ils.config import get_settings
    from ils.demo.setup import DEMO_PASSWORD, run_demo

    monkeypatch.setenv("ILS_DATABASE_URL", db.url)
    monkeypatch.setenv("ILS_ADMIN_PASSWORD", "county-admin-pass")
    get_settings.cache_clear()
    out = io.StringIO()
    first = run_demo(Console(file=out, width=200), history_from=None)
    assert first["admin_password"] == "county-admin-pass"
    assert first["rejected"] == 0 and first["imported"] >= 400 and first["items"] > 1000
    units, records, items = _count(db, Unit), _count(db, Record), _count(db, Item)
    assert units == 37 and records == first["imported"]
    # A morning of real circulation: loans, two copies sent home from the 总馆, a hold.
    activity = (_count(db, Loan), _count(db, Transit), _count(db, Hold))
    assert activity == (10, 2, 1)
    # The van routes plan those transits: each has a path and a promised day.
    assert _count(db, Route) == 19
    with db.session(write=False) as s:
        assert all(t.path and t.promised_on for t in s.scalars(select(Transit)))

    again = run_demo(Console(file=io.StringIO(), width=200), history_from=None)
    assert again["imported"] == 0 and again["merged"] == first["imported"] and again["items"] == 0
    assert (_count(db, Unit), _count(db, Record), _count(db, Item)) == (units, records, items)
    assert (_count(db, Loan), _count(db, Transit), _count(db, Hold)) == activity
    assert again["admin_password"] is None  # never reset or printed again

    assert _count(db, PatronAccount) == 5
    from circulation.sip2.accounts import authenticate

    with db.session(write=False) as s:  # the self-check machines it prints log in, once each
        machine = authenticate(s, "sc-dc-wl", DEMO_PASSWORD)
        assert machine is not None and (machine.unit_code, machine.encoding) == ("DC-WL", "gb18030")
        assert _count(db, Sip2Account) == 3
    with db.session(write=False) as s:
        librarians = set(s.scalars(select(StaffUser.username).where(StaffUser.role == "librarian")))
    assert "lib-dc-td" in librarians and "lib-kmlib" not in librarians

    # The accounts the demo prints really log in.
    token = client.post("/api/v1/auth/token", json={"username": "admin", "password": "county-admin-pass"})
    assert token.status_code == 200
    librarian = client.post("/api/v1/auth/token", json={"username": "lib-dc-td", "password": DEMO_PASSWORD})
    assert librarian.json()["units"][0] == "DC-TD"
    reader = client.post("/api/v1/auth/token", json={"card_number": "DC00000001", "password": DEMO_PASSWORD})
    assert reader.status_code == 200
    # The catalogue is the real one: 红楼梦 is there with pinyin and copies in the network.
    page = client.get("/api/v1/records", params={"limit": 500}).json()["records"]
    hlm = next(r for r in page if r["title"] == "红楼梦")
    body = client.get(f"/api/v1/records/{hlm['id']}").json()
    assert body["title_pinyin"] == "hong lou meng" and body["holdings"]
    assert "admin / county-admin-pass" in out.getvalue()


def test_the_demos_history_goes_through_the_use_cases_and_fills_the_statistics(db, client, monkeypatch):
    """A month of history (the demo makes two years): loans at every level, returns elsewhere and
    received home, gate counts and activities, and the circulation invariants hold afterwards."""
    from datetime import date

    from typer.testing import CliRunner

    from circulation.models import Patron
    from ils.cli import app
    from ils.config import get_settings
    from ils.demo.setup import run_demo

    from tests.support.entries import seed_activity_types

    seed_activity_types(db)  # the migration's, emptied by the tests' reset
    monkeypatch.setenv("ILS_DATABASE_URL", db.url)
    get_settings.cache_clear()
    out = io.StringIO()
    run_demo(Console(file=out, width=200), history_from=date(2026, 10, 20))
    assert "history 2026-10-20 to 2026-11-22" in out.getvalue()
    assert _count(db, Loan) > 150 and _count(db, Patron) > 300
    assert CliRunner().invoke(app, ["circulation-check"]).exit_code == 0
    token = client.post("/api/v1/auth/token", json={"username": "manager", "password": "demo-2026"})
    manager = {"Authorization": f"Bearer {token.json()['access_token']}"}
    figures = client.get("/api/v1/reports/figures", headers=manager, params={"unit": "DC", "period": "2026-11"}).json()
    total = figures["total"]
    assert total["loans"] > 50 and total["returns"] > 20 and total["returns_away"] > 0
    assert total["visits"] > 500 and total["activities"] > 5 and total["holdings_added"] > 0
    rows = {r["code"]: r for r in figures["units"]}
    assert rows["DC"]["own"]["loans"] > rows["DC-TD-01"]["own"]["loans"]  # the 总馆 lends more than a village
    again = io.StringIO()
    run_demo(Console(file=again, width=200), history_from=date(2026, 10, 20))
    assert "history already there" in again.getvalue()
