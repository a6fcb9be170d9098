"""A small lending network for circulation tests: the test network's units, patron categories,
loan rules, titles with copies at chosen units, readers, and desk accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ils.auth.principal import job
from ils.clock import get_clock
from ils.db import Database
from tests.support.factories import login, make_network, make_user

DEFAULT_RULE = {"loan_days": 30, "max_items": 5, "renewals": 1, "hold_shelf_days": 3}


@dataclass
class Library:
    db: Database
    client: Any
    admin: dict[str, str] = field(default_factory=dict)
    desk: dict[str, str] = field(default_factory=dict)  # a librarian serving every unit
    records: dict[str, int] = field(default_factory=dict)

    # ---- setup -----------------------------------------------------------------------
    def rule(self, **values: Any) -> dict[str, Any]:
        response = self.client.put("/api/v1/circulation-rules", headers=self.admin, json={**DEFAULT_RULE, **values})
        assert response.status_code == 200, response.text
        return response.json()

    def title(self, name: str, copies: dict[str, str], item_type: str = "book", price_fen: int | None = 3000) -> int:
        """A record with copies {barcode: owning unit code}."""
        from catalog.items import create_item
        from catalog.records import create_record
        from catalog.schemas import ItemCreate
        from tests.support.marc import cnmarc, to_dict

        now = get_clock().now()
        with self.db.session() as s:
            record = create_record(s, "cnmarc", to_dict(cnmarc(name, control=f"T{len(self.records)}")), "test", now)
            for barcode, unit in copies.items():
                create_item(s, ItemCreate(record_id=record.id, barcode=barcode, unit=unit, item_type=item_type,
                                          price_fen=price_fen, status="available"), now, job())
            self.records[name] = record.id
        return self.records[name]

    def reader(self, card: str, category: str = "adult", unit: str = "DC-TD", **kw: Any) -> dict[str, Any]:
        response = self.client.post("/api/v1/patrons", headers=self.desk,
                                    json={"card_number": card, "name": kw.pop("name", f"读者{card[-3:]}"),
                                          "category": category, "unit": unit, **kw})
        assert response.status_code == 201, response.text
        return response.json()

    def librarian(self, *units: str) -> dict[str, str]:
        name = f"lib-{'-'.join(units).lower()}"
        make_user(self.db, name, "librarian", units)
        return login(self.client, name)

    def advance(self, clock: Any, **delta: float) -> None:
        """Let time pass (tokens expire meanwhile, so the desk logs in again)."""
        clock.advance(**delta)
        self.admin, self.desk = login(self.client, "admin-c"), login(self.client, "desk-all")

    # ---- actions ---------------------------------------------------------------------
    def checkout(self, card: str, barcode: str, unit: str, headers: dict[str, str] | None = None,
                 **kw: Any) -> Any:
        return self.client.post("/api/v1/circulation/checkout", headers=headers or self.desk,
                                json={"card": card, "barcode": barcode, "unit": unit, **kw})

    def checkin(self, barcode: str, unit: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.post("/api/v1/circulation/checkin", headers=headers or self.desk,
                                json={"barcode": barcode, "unit": unit})

    def hold(self, card: str, pickup: str, *, record: str | None = None, barcode: str | None = None,
             headers: dict[str, str] | None = None, **kw: Any) -> Any:
        body: dict[str, Any] = {"card": card, "pickup_unit": pickup, **kw}
        if record is not None:
            body["record_id"] = self.records[record]
        if barcode is not None:
            body["barcode"] = barcode
        return self.client.post("/api/v1/holds", headers=headers or self.desk, json=body)

    def receive(self, barcode: str, unit: str) -> Any:
        return self.client.post("/api/v1/transits/receive", headers=self.desk, json={"barcode": barcode, "unit": unit})

    def item(self, barcode: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/items/{barcode}", headers=self.desk)
        assert response.status_code == 200, response.text
        return response.json()


def library(client: Any, db: Database, **rule: Any) -> Library:
    """The test network (CITY > DC > DC-TD, DC-WL, DC-TD-01; XD), categories adult and child,
    a default rule (30 days, 5 items, 1 renewal, 3 open days on the hold shelf)."""
    make_network(db)
    make_user(db, "admin-c", "admin")
    admin = login(client, "admin-c")
    make_user(db, "desk-all", "librarian", ("CITY",))
    lib = Library(db, client, admin=admin, desk=login(client, "desk-all"))
    for code, name in (("adult", "成人读者"), ("child", "少儿读者")):
        assert client.put(f"/api/v1/patron-categories/{code}", headers=admin,
                          json={"code": code, "name": name}).status_code == 200
    lib.rule(**rule)
    return lib
