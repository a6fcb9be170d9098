"""Bad input gets a 4xx with a code, never a 500: each cause the fuzzer found, pinned by name, on
SQLite and on PostgreSQL (the ``client`` fixture runs each test on both)."""

from __future__ import annotations

from typing import Any

import pytest

from ils.idempotency import fingerprint
from ils.validation import INT4_MAX, INT8_MAX, json_problems, unstorable
from tests.support.factories import make_network, staff
from tests.support.library import library

BEYOND_INT4 = 3_000_000_000
BEYOND_INT8 = 10_000_000_000_000_000_000


def refused(response: Any, *where: Any) -> dict[str, Any]:
    """A 422 VALIDATION_FAILED in the API's error shape, naming the place at fault."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "VALIDATION_FAILED" and isinstance(body["detail"], str) and body["blocks"] == []
    assert [tuple(f["loc"]) for f in body["fields"]][:1] == [where], body["fields"]
    return body


# ---- integers beyond what the column holds -----------------------------------------------------

def test_a_record_id_beyond_int4_is_refused_with_422_not_sent_to_the_database(client):
    refused(client.get(f"/api/v1/records/{BEYOND_INT4}"), "path", "record_id")
    refused(client.get(f"/api/v1/records/{BEYOND_INT8}"), "path", "record_id")  # SQLite's own limit
    assert client.get(f"/api/v1/records/{INT4_MAX}").json()["error"] == "RECORD_NOT_FOUND"


def test_a_search_year_beyond_any_calendar_is_refused_with_422(client):
    # Found by the fuzzer: year_from=8767773191900399403008 was a 500 from the search index.
    for params in ({"year_from": "8767773191900399403008"}, {"year_to": "10000"}, {"year_from": "-10000"}):
        answer = client.get("/api/v1/search", params={"q": "红楼梦", **params})
        assert answer.status_code == 422 and answer.json()["error"] == "VALIDATION_FAILED", answer.text
    assert client.get("/api/v1/search", params={"q": "红楼梦", "year_from": "1900", "year_to": "2026"}).status_code == 200


def test_an_opac_record_page_beyond_int4_answers_with_the_error_page_not_a_500(client):
    response = client.get(f"/opac/records/{BEYOND_INT4}")
    assert 400 <= response.status_code < 500 and response.headers["content-type"].startswith("text/html")


def test_an_offset_beyond_int8_is_refused_and_the_largest_offset_pages_past_the_end(client):
    refused(client.get("/api/v1/records", params={"offset": BEYOND_INT8}), "query", "offset")
    last = client.get("/api/v1/records", params={"offset": INT8_MAX})
    assert last.status_code == 200 and last.json()["records"] == []


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/v1/holds/{n}"),
    ("DELETE", "/api/v1/holds/{n}"),
    ("PATCH", "/api/v1/holds/{n}"),
    ("GET", "/api/v1/imports/{n}"),
    ("GET", "/api/v1/imports/{n}/issues"),
    ("GET", "/api/v1/distribution/plans/{n}"),
    ("POST", "/api/v1/distribution/plans/{n}/execute"),
    ("DELETE", "/api/v1/circulation-rules/{n}"),
    ("DELETE", "/api/v1/return-policies/{n}"),
    ("DELETE", "/api/v1/api-keys/{n}"),
    ("DELETE", "/api/v1/patrons/DC00000001/blocks/{n}"),
    ("GET", "/api/v1/records/{n}/versions"),
    ("GET", "/api/v1/records/{n}/sources"),
    ("POST", "/api/v1/runs/R1/2026-11-23/stops/{n}"),
])
def test_ids_beyond_int4_in_paths_are_refused_with_422(client, db, method, path):
    admin = staff(client, db, "admin")
    body = {"event": "arrived"} if "/stops/" in path else {}
    response = client.request(method, path.format(n=BEYOND_INT4), headers=admin,
                              json=body if method in ("PATCH", "POST") else None)
    name = "position" if "/stops/" in path else path.split("{n}")[0].rstrip("/").rsplit("/", 1)[1]
    expected = {"holds": "hold_id", "imports": "batch_id", "plans": "plan_id", "circulation-rules": "rule_id",
                "return-policies": "policy_id", "api-keys": "key_id", "blocks": "block_id", "records": "record_id",
                "position": "position"}[name]
    refused(response, "path", expected)


def test_a_record_id_beyond_int4_in_a_new_item_is_refused(client, db):
    admin = staff(client, db, "admin")
    make_network(db)
    response = client.post("/api/v1/items", headers=admin,
                           json={"barcode": "B1", "record_id": BEYOND_INT4, "unit": "DC"})
    refused(response, "body", "record_id")


def test_a_price_beyond_int4_in_a_new_item_is_refused(client, db):
    admin = staff(client, db, "admin")
    response = client.post("/api/v1/items", headers=admin,
                           json={"barcode": "B1", "record_id": 1, "unit": "DC", "price_fen": BEYOND_INT4})
    refused(response, "body", "price_fen")


def test_max_items_of_type_beyond_int4_in_a_loan_rule_is_refused(client, db):
    admin = staff(client, db, "admin")
    response = client.put("/api/v1/circulation-rules", headers=admin,
                          json={"loan_days": 30, "max_items": 5, "max_items_of_type": BEYOND_INT4})
    refused(response, "body", "max_items_of_type")


# ---- JSON numbers beyond 64 bits ---------------------------------------------------------------

@pytest.mark.parametrize("number", ["1e20", "100000000000000000000"])
def test_a_hold_with_an_idempotency_key_and_a_record_id_beyond_64_bits_is_refused(client, db, number):
    lib = library(client, db)
    body = '{"card": "DC00000001", "pickup_unit": "DC-TD", "record_id": %s}' % number
    response = client.post("/api/v1/holds", headers={**lib.desk, "Idempotency-Key": "k-1",
                                                     "Content-Type": "application/json"}, content=body)
    refused(response, "body", "record_id")


def test_an_integer_beyond_64_bits_anywhere_in_a_json_body_is_refused(client, db):
    admin = staff(client, db, "admin")
    marc = {"leader": "00000nam  2200000   4500", "fields": [{"001": "X"}, {"999": 2**70}]}
    response = client.post("/api/v1/records", headers=admin, json={"flavour": "marc21", "marc": marc})
    refused(response, "body", "marc", "fields", 1, "999")


def test_the_idempotency_fingerprint_takes_integers_of_any_size():
    big, bigger = fingerprint("POST", "/holds", {"record_id": 10**20}), fingerprint("POST", "/holds", {"record_id": 10**21})
    assert big != bigger and big == fingerprint("POST", "/holds", {"record_id": 10**20})
    assert fingerprint("POST", "/holds", {"record_id": 1}) != fingerprint("POST", "/holds", {"record_id": 2})


# ---- text a database cannot store --------------------------------------------------------------

def test_a_nul_in_a_login_name_is_refused_with_422(client):
    response = client.post("/api/v1/auth/token", json={"username": "adm\u0000in", "password": "password-123"})
    refused(response, "body", "username")


@pytest.mark.parametrize("path,form", [
    ("/desk/login", {"username": "adm\u0000in", "password": "password-123"}),
    ("/opac/login", {"card": "DC\u000000001", "password": "password-123"}),
])
def test_a_nul_in_a_login_form_answers_with_the_error_page(client, path, form):
    response = client.post(path, data=form)
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html"), response.text


def test_a_nul_in_a_unit_code_in_the_path_is_refused(client):
    refused(client.get("/api/v1/units/DC%00"), "path", "code")


def test_a_nul_in_a_query_parameter_is_refused(client, db):
    admin = staff(client, db, "admin")
    refused(client.get("/api/v1/holds", params={"pickup_unit": "DC\u0000"}, headers=admin), "query", "pickup_unit")
    refused(client.get("/api/v1/circulation-rules/explain", params={"unit": "DC\u0000"}, headers=admin),
            "query", "unit")


def test_a_lone_surrogate_in_json_is_refused(client, db):
    admin = staff(client, db, "admin")
    response = client.post("/api/v1/items", headers={**admin, "Content-Type": "application/json"},
                           content='{"barcode": "B1", "record_id": 1, "unit": "DC", "call_number": "I\\ud800"}')
    refused(response, "body", "call_number")


def test_a_nul_in_an_uploaded_files_name_or_form_field_is_refused(client, db):
    admin = staff(client, db, "admin")
    response = client.post("/api/v1/records/import", headers=admin, data={"unit": "DC\u0000"},
                           files={"file": ("a.iso", b"", "application/marc")})
    refused(response, "body", "unit")
    # Written by hand: httpx would escape the NUL as %00.
    upload = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a\x00.iso"\r\n'
              b"Content-Type: application/marc\r\n\r\n\r\n--b--\r\n")
    response = client.post("/api/v1/records/import", content=upload,
                           headers={**admin, "Content-Type": "multipart/form-data; boundary=b"})
    refused(response, "body", "file", "filename")


def test_the_text_rule_is_what_the_drivers_refuse():
    assert unstorable("铜都街道分馆 \t\n\x01") is None  # PostgreSQL text holds control characters but NUL
    assert unstorable("a\x00") and unstorable("\ud800")
    assert json_problems({"a": [1, "ok", {"b": "\x00"}]}) == [
        {"loc": ("body", "a", 2, "b"), "msg": "text may not contain the NUL character (U+0000)",
         "type": "text_unstorable"}]
    deep: Any = "x\x00"
    for _ in range(5000):  # deeper than Python's recursion limit: the walk is iterative
        deep = [deep]
    assert len(json_problems(deep)) == 1


# ---- the other causes --------------------------------------------------------------------------

def test_a_return_policy_with_an_empty_float_group_is_refused_with_its_code(client, db):
    admin = staff(client, db, "admin")
    response = client.put("/api/v1/return-policies", headers=admin, json={"float_group": "", "policy": "home"})
    assert response.status_code == 422 and response.json()["error"] == "RETURN_POLICY_INVALID", response.text


def test_a_unit_name_cannot_be_emptied_with_null_but_may_be_left_out(client, db):
    admin = staff(client, db, "admin")
    make_network(db)
    refused(client.patch("/api/v1/units/DC-TD", headers=admin, json={"name": None}), "body", "name")
    changed = client.patch("/api/v1/units/DC-TD", headers=admin, json={"population": 52000})
    assert changed.status_code == 200 and changed.json()["name"] == "铜都街道分馆"


def test_an_if_match_of_non_ascii_digits_is_a_stale_etag_not_a_500(client, db):
    admin = staff(client, db, "admin")
    from tests.support.marc import cnmarc, to_dict

    record = client.post("/api/v1/records", headers=admin, json={"flavour": "cnmarc", "marc": to_dict(cnmarc("书"))})
    assert record.status_code == 201, record.text
    response = client.put(f"/api/v1/records/{record.json()['id']}", headers={**admin, "If-Match": '"\u00b2"'.encode("latin-1")},
                          json={"marc": to_dict(cnmarc("书"))})
    assert response.status_code == 412 and response.json()["error"] == "RECORD_VERSION_STALE", response.text


def test_an_id_card_number_of_non_ascii_digits_is_refused_not_a_500(client, db):
    lib = library(client, db)
    response = client.post("/api/v1/patrons", headers=lib.desk, json={
        "card_number": "DC00000099", "name": "读者", "category": "adult", "unit": "DC-TD",
        "id_card_number": "53011319900307001\u00b2"})
    assert response.status_code == 422 and response.json()["error"] == "PATRON_ID_CARD_INVALID", response.text


# ---- text longer than its column ---------------------------------------------------------------

def test_a_phone_longer_than_its_column_is_refused_on_both_databases(client, db):
    lib = library(client, db)
    lib.reader("DC00000001")
    response = client.patch("/api/v1/patrons/DC00000001", headers=lib.desk, json={"phone": "1" * 31})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "VALUE_TOO_LONG" and response.json()["max_length"] == 30
    assert client.get("/api/v1/patrons/DC00000001", headers=lib.desk).json()["phone"] is None  # nothing written
    fits = client.patch("/api/v1/patrons/DC00000001", headers=lib.desk, json={"phone": "1" * 30})
    assert fits.status_code == 200 and fits.json()["phone"]


def test_a_unit_phone_longer_than_its_column_is_refused_and_the_unit_unchanged(client, db):
    admin = staff(client, db, "admin")
    make_network(db)
    response = client.patch("/api/v1/units/DC-TD", headers=admin, json={"phone": "0871-" + "6" * 50, "population": 5})
    assert response.status_code == 422 and response.json()["field"] == "phone", response.text
    assert client.get("/api/v1/units/DC-TD").json()["population"] is None


def test_many_rows_in_one_statement_are_each_checked(db):
    from sqlalchemy import insert

    from ils.errors import InvalidInput
    from ils.network.models import Unit

    with pytest.raises(InvalidInput) as refusal, db.session() as session:
        session.execute(insert(Unit), [{"code": "A1", "name": "甲", "level": "branch"},
                                       {"code": "B" * 40, "name": "乙", "level": "branch"}])
    assert refusal.value.code == "VALUE_TOO_LONG" and refusal.value.extra["field"] == "code"
