"""Distribution of new stock (统一配送) and rotation: allocation by population, demand or quota,
and execution as transits that keep their purpose."""

from __future__ import annotations

from collections import Counter

from logistics.distribution import allocate
from tests.support.library import library


def test_allocation_follows_the_weights_and_spreads_each_title_before_doubling_up():
    copies = [(n, n // 3) for n in range(30)]  # ten titles, three copies each
    result = allocate(copies, {1: 60_000.0, 2: 30_000.0, 3: 10_000.0})
    # More people, more books; but spreading titles pulls the shares towards each other
    # (strictly proportional would be 18 / 9 / 3).
    assert Counter(result.values()) == {1: 15, 2: 10, 3: 5}
    for record in range(10):
        units = [result[n] for n in range(record * 3, record * 3 + 3)]
        assert len(set(units)) >= 2  # no title sits at one unit only


def test_quota_allocation_stops_at_the_quotas():
    result = allocate([(n, n) for n in range(10)], {}, {1: 3, 2: 2})
    assert Counter(result.values()) == {1: 3, 2: 2} and len(result) == 5


def test_a_plan_by_population_is_executed_as_distribution_transits_that_stay_on_arrival(client, db):
    lib = library(client, db)
    client.patch("/api/v1/units/DC-TD", headers=lib.admin, json={"population": 60000})
    client.patch("/api/v1/units/DC-WL", headers=lib.admin, json={"population": 20000})
    lib.title("新书甲", {"N1": "DC", "N2": "DC"})
    lib.title("新书乙", {"N3": "DC", "N4": "DC"})
    plan = client.post("/api/v1/distribution/plans", headers=lib.admin, json={
        "name": "第 4 批", "method": "population", "barcodes": ["N1", "N2", "N3", "N4"], "units": ["DC-TD", "DC-WL"]})
    assert plan.status_code == 201, plan.text
    body = plan.json()
    assert body["per_unit"] == {"DC-TD": 3, "DC-WL": 1} and body["status"] == "draft"
    assert lib.item("N1")["status"] == "available"  # nothing moves before execution

    done = client.post(f"/api/v1/distribution/plans/{body['id']}/execute", headers=lib.admin)
    assert done.status_code == 200 and done.json()["status"] == "executed"
    again = client.post(f"/api/v1/distribution/plans/{body['id']}/execute", headers=lib.admin)
    assert again.status_code == 409 and again.json()["error"] == "DISTRIBUTION_EXECUTED"
    target = body["allocation"]["N1"]
    item = lib.item("N1")
    assert item["status"] == "in_transit" and item["owning_unit"] == target
    transit = client.get("/api/v1/transits", headers=lib.desk, params={"barcode": "N1"}).json()[0]
    assert transit["reason"] == "distribution" and transit["to_unit"] == target
    arrived = lib.receive("N1", target).json()
    assert arrived["disposition"] == "shelve" and lib.item("N1")["current_unit"] == target


def test_a_plan_refuses_copies_not_on_hand_and_units_without_population(client, db):
    lib = library(client, db)
    lib.title("新书甲", {"N1": "DC", "N2": "DC"})
    lib.reader("DC00000001")
    lib.checkout("DC00000001", "N2", "DC")
    no_population = client.post("/api/v1/distribution/plans", headers=lib.admin, json={
        "name": "x", "method": "population", "barcodes": ["N1"], "units": ["DC-TD"]})
    assert no_population.status_code == 422 and no_population.json()["error"] == "DISTRIBUTION_INVALID"
    on_loan = client.post("/api/v1/distribution/plans", headers=lib.admin, json={
        "name": "x", "method": "quota", "barcodes": ["N1", "N2"], "units": ["DC-TD"], "quotas": {"DC-TD": 2}})
    assert on_loan.status_code == 409 and "N2" in on_loan.json()["detail"]
    by_demand = client.post("/api/v1/distribution/plans", headers=lib.admin, json={
        "name": "x", "method": "demand", "barcodes": ["N1"], "units": ["DC", "DC-TD"]})
    assert by_demand.json()["allocation"] == {"N1": "DC"}  # the one check-out happened at the 总馆
