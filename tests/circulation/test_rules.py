"""Loan rules as data: the most specific matching rule applies, and the API says why."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from circulation.models import CirculationRule
from circulation.policy import Situation, resolve
from tests.support.factories import make_network, staff
from tests.support.marc import cnmarc, iso2709


def _rule(**kw) -> CirculationRule:
    base = {"patron_category": "*", "item_type": "*", "unit_level": "*", "unit_code": "*", "loan_days": 30,
            "max_items": 10, "updated_at": datetime(2026, 1, 1, tzinfo=timezone.utc), "updated_by": "t"}
    return CirculationRule(**{**base, **kw})


RULES = [
    _rule(loan_days=30),
    _rule(patron_category="child", loan_days=21, max_items=5),
    _rule(item_type="children", loan_days=28),
    _rule(patron_category="child", item_type="children", loan_days=35),
    _rule(unit_level="service_point", loan_days=45),
    _rule(unit_code="DC-SF", loan_days=14),
]


@pytest.mark.parametrize("situation,days", [
    (Situation("adult", "book", "branch", "DC-TD"), 30),           # only the default matches
    (Situation("child", "book", "branch", "DC-TD"), 21),           # category beats the default
    (Situation("adult", "children", "branch", "DC-TD"), 28),       # item type beats the default
    (Situation("child", "children", "branch", "DC-TD"), 35),       # category × type beats either
    (Situation("child", "children", "service_point", "DC-TD-01"), 45),  # unit level beats category and type
    (Situation("child", "children", "study_room", "DC-SF"), 14),   # the unit's own rule beats all
])
def test_most_specific_rule_applies(situation, days):
    assert resolve(RULES, situation).loan_days == days


def test_no_rule_at_all_is_a_clear_error():
    from ils.errors import DomainError

    with pytest.raises(DomainError) as caught:
        resolve([_rule(patron_category="child")], Situation("adult", "book", "branch", "X"))
    assert caught.value.code == "POLICY_NOT_FOUND"


def test_admin_writes_rules_and_the_desk_sees_which_applies_and_why(client, db):
    from catalog.importer import ImportOptions, import_marc

    make_network(db)
    admin = staff(client, db, "admin")
    client.put("/api/v1/patron-categories/child", headers=admin, json={"code": "child", "name": "少儿读者"})
    for body in ({"loan_days": 30, "max_items": 10},
                 {"patron_category": "child", "item_type": "children", "loan_days": 35, "max_items": 5},
                 {"unit_code": "DC-TD-01", "loan_days": 60, "max_items": 3}):
        assert client.put("/api/v1/circulation-rules", headers=admin, json=body).status_code == 200
    # Writing the same key again changes the rule instead of adding one.
    client.put("/api/v1/circulation-rules", headers=admin, json={"loan_days": 31, "max_items": 10})
    assert len(client.get("/api/v1/circulation-rules", headers=admin).json()) == 3

    import_marc(db, iso2709([cnmarc("小王子", holdings=[("DC-TD", "K1")])]), ImportOptions(filename="k.iso"))
    librarian = staff(client, db, "librarian", ("DC-TD",))
    client.post("/api/v1/patrons", headers=librarian,
                json={"card_number": "DC00000777", "name": "刘子涵", "category": "child", "unit": "DC-TD"})
    by_type = client.get("/api/v1/circulation-rules/explain", headers=librarian,
                         params={"unit": "DC-TD", "card": "DC00000777", "item_type": "children"}).json()
    assert by_type["rule"]["loan_days"] == 35 and "patron_category" in by_type["reason"]
    assert by_type["candidates"] == ["patron_category=child × item_type=children × unit_level=* × unit_code=*",
                                     "patron_category=* × item_type=* × unit_level=* × unit_code=*"]
    by_item = client.get("/api/v1/circulation-rules/explain", headers=librarian,
                         params={"unit": "DC-TD", "patron_category": "adult", "barcode": "K1"}).json()
    assert by_item["rule"]["loan_days"] == 31 and by_item["situation"]["item_type"] == "book"
    at_point = client.get("/api/v1/circulation-rules/explain", headers=librarian,
                          params={"unit": "DC-TD-01", "patron_category": "child", "item_type": "children"}).json()
    assert at_point["rule"]["loan_days"] == 60


def test_rules_refuse_unknown_keys_and_only_admins_write_them(client, db):
    make_network(db)
    admin = staff(client, db, "admin")
    for body, code in (({"patron_category": "vip", "loan_days": 30, "max_items": 1}, "PATRON_CATEGORY_UNKNOWN"),
                       ({"item_type": "dvd", "loan_days": 30, "max_items": 1}, "ITEM_TYPE_INVALID"),
                       ({"unit_level": "city", "loan_days": 30, "max_items": 1}, "UNIT_LEVEL_INVALID"),
                       ({"unit_code": "NOWHERE", "loan_days": 30, "max_items": 1}, "UNIT_NOT_FOUND")):
        response = client.put("/api/v1/circulation-rules", headers=admin, json=body)
        assert response.json()["error"] == code, body
    librarian = staff(client, db, "librarian", ("DC-TD",))
    assert client.put("/api/v1/circulation-rules", headers=librarian,
                      json={"loan_days": 30, "max_items": 1}).status_code == 403
    assert client.get("/api/v1/circulation-rules", headers=librarian).json() == []
