"""Plain helpers that make what tests need: units, accounts, records, logins."""

from __future__ import annotations

from typing import Any

from ils.clock import get_clock
from ils.db import Database

WEEK_HOURS = {d: ["09:00-12:00", "14:00-18:00"] for d in ("tue", "wed", "thu", "fri", "sat", "sun")}


def make_unit(db: Database, code: str, level: str = "branch", parent: str | None = None, **kw: Any) -> None:
    from ils.network.schemas import UnitCreate
    from ils.network.service import create_unit

    with db.session() as s:
        create_unit(s, UnitCreate(code=code, name=kw.pop("name", f"单位{code}"), level=level,  # type: ignore[arg-type]
                                  parent=parent, hours=kw.pop("hours", WEEK_HOURS), **kw), get_clock().now())


def make_network(db: Database) -> None:
    """A 中心馆, a 总馆 with two branches and a village point, and a second system."""
    make_unit(db, "CITY", "center", name="昆明市图书馆")
    make_unit(db, "DC", "main", "CITY", name="东川区图书馆")
    make_unit(db, "DC-TD", "branch", "DC", name="铜都街道分馆")
    make_unit(db, "DC-WL", "branch", "DC", name="乌龙镇分馆")
    make_unit(db, "DC-TD-01", "service_point", "DC-TD", name="铜都社区服务点")
    make_unit(db, "XD", "main", "CITY", name="寻甸县图书馆")


def make_user(db: Database, username: str, role: str, units: tuple[str, ...] = (), password: str = "password-123") -> None:
    from ils.auth.service import create_user

    with db.session() as s:
        create_user(s, username, password, role, get_clock().now(), unit_codes=list(units))


def login(client: Any, username: str, password: str = "password-123") -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def staff(client: Any, db: Database, role: str, units: tuple[str, ...] = (), username: str | None = None) -> dict[str, str]:
    """Create an account of ``role`` and return its auth headers."""
    name = username or f"{role}-{'-'.join(units) or 'all'}".lower()
    make_user(db, name, role, units)
    return login(client, name)
