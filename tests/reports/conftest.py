"""The scripted fortnight the statistics tests count by hand (see test_figures.py's docstring)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.entries import gate_file, seed_activity_types
from tests.support.library import Library, library

POPULATION = {"DC": 100, "DC-TD": 40, "DC-WL": 20}


@pytest.fixture
def story(client: Any, db: Any, clock: Any) -> Library:
    lib = library(client, db)
    for code, population in POPULATION.items():
        assert client.patch(f"/api/v1/units/{code}", headers=lib.admin, json={"population": population}).status_code == 200
    lib.title("红楼梦", {"A1": "DC-TD", "A2": "DC-WL"})
    lib.title("三国演义", {"B1": "DC-TD-01"}, price_fen=None)
    lib.title("水浒传", {"C1": "XD"})
    lib.reader("R001", unit="DC-TD")
    lib.reader("R002", unit="DC-WL")
    lib.reader("R003", unit="XD")
    for card, barcode in (("R001", "A1"), ("R001", "B1"), ("R002", "A2")):
        assert lib.checkout(card, barcode, "DC-TD").status_code == 201
    assert lib.hold("R002", "DC-WL", record="三国演义").status_code == 201
    lib.advance(clock, days=1)
    renewed = client.post("/api/v1/circulation/renew", headers=lib.desk, json={"barcode": "A1", "unit": "DC-TD"})
    assert renewed.status_code == 200, renewed.text
    assert lib.checkin("A2", "DC-WL").json()["disposition"] == "shelve"
    assert lib.checkin("B1", "DC-TD-01").json()["destination_unit"] == "DC-WL"
    lib.advance(clock, days=1)
    assert lib.checkin("A1", "DC-WL").json()["destination_unit"] == "DC-TD"
    lib.advance(clock, days=1)
    assert lib.receive("B1", "DC-WL").status_code == 200
    assert lib.checkout("R002", "B1", "DC-WL").status_code == 201
    lib.advance(clock, days=1)
    withdrawn = client.patch("/api/v1/items/C1", headers=lib.admin, json={"status": "withdrawn"})
    assert withdrawn.status_code == 200, withdrawn.text
    lib.title("新书", {"D1": "DC-TD"})
    lib.advance(clock, days=1)
    assert lib.receive("A1", "DC-TD").status_code == 200
    # Entered: DC-TD's gate counter file, imported twice (it must count once), and two activities
    # organised by the 总馆, one held at a branch (下基层) and one at home.
    gate = gate_file("DC-TD,2026-11-23,,30,29", "DC-TD,2026-11-24,10,5,", "DC-TD,2026-11-24,11,7,")
    for _ in range(2):
        imported = client.post("/api/v1/visits/import", headers=lib.admin, files=gate)
        assert imported.status_code == 200, imported.text
    seed_activity_types(db)
    for unit, attendance in (("DC-WL", 40), ("DC", 25)):
        made = client.post("/api/v1/activities", headers=lib.admin, json={
            "type": "lecture", "title": "讲座", "unit": unit, "organiser": "DC", "held_on": "2026-11-25",
            "attendance": attendance})
        assert made.status_code == 201, made.text
    return lib


