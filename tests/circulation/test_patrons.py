"""Patrons: one card for the whole network, ID card as a second key, categories as data,
proxies and manual blocks."""

from __future__ import annotations

from circulation.idcard import mask, normalise_id_card
from tests.support.concurrency import at_once
from tests.support.factories import login, make_network, staff

ID_CARD = "11010519491231002X"  # the standard's worked example; its check character is X


def _categories(client, db) -> dict[str, str]:
    admin = staff(client, db, "admin")
    for code, name, months in (("adult", "成人读者", 60), ("temporary", "临时读者", 3)):
        response = client.put(f"/api/v1/patron-categories/{code}", headers=admin,
                              json={"code": code, "name": name, "valid_months": months})
        assert response.status_code == 200, response.text
    return admin


def _reader(card="DC00000123", **kw):
    return {"card_number": card, "name": "李秀英", "category": "adult", "unit": "DC-TD", **kw}


def test_id_card_check_character():
    assert normalise_id_card("11010519491231002x") == ID_CARD
    assert normalise_id_card("110105194912310021") is None  # wrong check character
    assert normalise_id_card("1101051949123100") is None
    assert mask(ID_CARD) == "110105********002X"


def test_librarian_registers_a_reader_who_can_then_log_in(client, db):
    make_network(db)
    _categories(client, db)
    librarian = staff(client, db, "librarian", ("DC-TD",))
    response = client.post("/api/v1/patrons", headers=librarian,
                           json=_reader(id_card_number=ID_CARD.lower(), password="reader-pass"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["expires_on"] == "2031-11-23" and body["status"] == "active" and not body["expired"]
    assert body["id_card_number"] == ID_CARD
    login = client.post("/api/v1/auth/token", json={"card_number": "DC00000123", "password": "reader-pass"})
    assert login.status_code == 200


def test_a_patron_is_found_by_card_or_id_card_anywhere_in_the_network(client, db):
    make_network(db)
    _categories(client, db)
    client.post("/api/v1/patrons", headers=staff(client, db, "librarian", ("DC-TD",)), json=_reader(id_card_number=ID_CARD))
    other_branch = staff(client, db, "librarian", ("DC-WL",), username="wl")
    by_id_card = client.get(f"/api/v1/patrons/{ID_CARD}", headers=other_branch)
    assert by_id_card.status_code == 200 and by_id_card.json()["card_number"] == "DC00000123"
    key = client.post("/api/v1/api-keys", headers=staff(client, db, "admin", username="root"),
                      json={"name": "自助机", "scopes": ["patrons:read"]}).json()["key"]
    masked = client.get("/api/v1/patrons/DC00000123", headers={"X-API-Key": key}).json()
    assert masked["id_card_number"] == "110105********002X"
    assert client.get("/api/v1/patrons/NOPE1", headers=other_branch).json()["error"] == "PATRON_NOT_FOUND"


def test_registration_refuses_bad_and_duplicate_input_without_touching_the_first(client, db):
    make_network(db)
    _categories(client, db)
    librarian = staff(client, db, "librarian", ("DC-TD",))
    assert client.post("/api/v1/patrons", headers=librarian, json=_reader(id_card_number=ID_CARD)).status_code == 201
    cases = [
        (_reader(), 409, "PATRON_CARD_TAKEN"),
        (_reader("DC00000999", id_card_number=ID_CARD), 409, "PATRON_ID_CARD_TAKEN"),
        (_reader("DC00000998", id_card_number="110105194912310021"), 422, "PATRON_ID_CARD_INVALID"),
        (_reader("DC00000997", category="vip"), 422, "PATRON_CATEGORY_UNKNOWN"),
        (_reader("DC00000996", unit="DC-WL"), 403, "UNIT_OUT_OF_SCOPE"),
    ]
    for body, status, code in cases:
        response = client.post("/api/v1/patrons", headers=librarian, json=body)
        assert (response.status_code, response.json()["error"]) == (status, code), body
    first = client.get("/api/v1/patrons/DC00000123", headers=librarian).json()
    assert first["name"] == "李秀英" and first["version"] == 1


def test_temporary_card_expires_by_its_category_and_shows_expired(client, db, clock):
    make_network(db)
    _categories(client, db)
    librarian = staff(client, db, "librarian", ("DC-TD",))
    body = client.post("/api/v1/patrons", headers=librarian, json=_reader(category="temporary")).json()
    assert body["expires_on"] == "2027-02-23"
    clock.advance(days=95)
    librarian = login(client, "librarian-dc-td")  # the old token expired with the clock
    assert client.get("/api/v1/patrons/DC00000123", headers=librarian).json()["expired"] is True


def test_blocks_are_kept_with_who_lifted_them(client, db):
    make_network(db)
    _categories(client, db)
    librarian = staff(client, db, "librarian", ("DC-TD",))
    client.post("/api/v1/patrons", headers=librarian, json=_reader())
    created = client.post("/api/v1/patrons/DC00000123/blocks", headers=librarian, json={"reason": "借书证遗失"})
    assert created.status_code == 201
    assert [b["reason"] for b in client.get("/api/v1/patrons/DC00000123", headers=librarian).json()["blocks"]] == ["借书证遗失"]
    lifted = client.delete(f"/api/v1/patrons/DC00000123/blocks/{created.json()['id']}", headers=librarian).json()
    assert lifted["lifted_by"] == "staff:librarian-dc-td"
    assert client.get("/api/v1/patrons/DC00000123", headers=librarian).json()["blocks"] == []


def test_proxy_acts_for_an_elderly_reader(client, db):
    make_network(db)
    _categories(client, db)
    librarian = staff(client, db, "librarian", ("DC-TD",))
    client.post("/api/v1/patrons", headers=librarian, json=_reader())
    client.post("/api/v1/patrons", headers=librarian, json=_reader("DC00000456", name="李建国"))
    assert client.post("/api/v1/patrons/DC00000123/proxies", headers=librarian,
                       json={"proxy_card_number": "DC00000456"}).status_code == 204
    assert client.get("/api/v1/patrons/DC00000123", headers=librarian).json()["proxies"] == ["DC00000456"]
    assert client.get("/api/v1/patrons/DC00000456", headers=librarian).json()["proxy_for"] == ["DC00000123"]
    self_proxy = client.post("/api/v1/patrons/DC00000123/proxies", headers=librarian,
                             json={"proxy_card_number": "DC00000123"})
    assert self_proxy.json()["error"] == "PATRON_PROXY_SELF"
    assert client.delete("/api/v1/patrons/DC00000123/proxies/DC00000456", headers=librarian).status_code == 204
    assert client.get("/api/v1/patrons/DC00000123", headers=librarian).json()["proxies"] == []


def test_patch_changes_only_sent_fields(client, db):
    make_network(db)
    _categories(client, db)
    librarian = staff(client, db, "librarian", ("DC-TD",))
    client.post("/api/v1/patrons", headers=librarian, json=_reader(phone="13800000000"))
    body = client.patch("/api/v1/patrons/DC00000123", headers=librarian, json={"status": "suspended"}).json()
    assert body["status"] == "suspended" and body["phone"] == "13800000000" and body["version"] == 2
    bad = client.patch("/api/v1/patrons/DC00000123", headers=librarian, json={"name": None})
    assert bad.status_code == 422


def test_cataloguers_cannot_see_patrons_and_readers_see_only_themselves_masked(client, db):
    make_network(db)
    _categories(client, db)
    desk = staff(client, db, "librarian", ("DC-TD",))
    assert client.post("/api/v1/patrons", headers=desk,
                       json=_reader(password="reader-pass", id_card_number=ID_CARD)).status_code == 201
    assert client.post("/api/v1/patrons", headers=desk, json=_reader("DC00000124")).status_code == 201
    assert client.get("/api/v1/patrons/DC00000123", headers=staff(client, db, "cataloguer")).status_code == 403
    token = client.post("/api/v1/auth/token", json={"card_number": "DC00000123", "password": "reader-pass"}).json()
    reader = {"Authorization": f"Bearer {token['access_token']}"}
    own = client.get("/api/v1/patrons/DC00000123", headers=reader)
    assert own.status_code == 200 and own.json()["id_card_number"] == mask(ID_CARD)
    other = client.get("/api/v1/patrons/DC00000124", headers=reader)
    assert other.status_code == 403 and other.json()["error"] == "NOT_OWN_ACCOUNT"


def test_readers_are_found_by_the_start_of_their_name_or_their_phone_and_namesakes_told_apart(client, db):
    make_network(db)
    _categories(client, db)
    td = staff(client, db, "librarian", ("DC-TD",))
    wl = staff(client, db, "librarian", ("DC-WL",), username="wl")
    for headers, body in (
        (td, _reader("DC00000201", name="王建华", id_card_number=ID_CARD, phone="13800001234")),
        (wl, _reader("DC00000202", name="王建华", unit="DC-WL")),
        (td, _reader("DC00000203", name="王建国", password="reader-pass")),
        (td, _reader("DC00000204", name="李秀英")),
    ):
        assert client.post("/api/v1/patrons", headers=headers, json=body).status_code == 201

    def search(q, headers=td):
        return client.post("/api/v1/patrons/search", headers=headers, json={"q": q})

    namesakes = search("王建华").json()
    assert namesakes["more"] is False
    assert [(m["card_number"], m["unit"], m["id_card_number"]) for m in namesakes["matches"]] == [
        ("DC00000201", "DC-TD", "110105********002X"), ("DC00000202", "DC-WL", None)]
    assert namesakes["matches"][0]["phone"] == "138****1234"  # masked even to the reader's own unit
    assert {m["card_number"] for m in search("王建").json()["matches"]} == {"DC00000201", "DC00000202", "DC00000203"}
    assert [m["card_number"] for m in search("138-0000-1234").json()["matches"]] == ["DC00000201"]
    assert [m["card_number"] for m in search(ID_CARD.lower(), headers=wl).json()["matches"]] == ["DC00000201"]
    assert search("DC00000204").json()["matches"][0]["name"] == "李秀英"
    assert search("%").json()["matches"] == [] and search("_").json()["matches"] == []

    assert search("王", headers=staff(client, db, "cataloguer")).status_code == 403
    token = client.post("/api/v1/auth/token", json={"card_number": "DC00000203", "password": "reader-pass"}).json()
    reader = search("王建", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert reader.status_code == 403 and "DC00000201" not in reader.text


def test_the_same_card_registered_at_two_desks_at_once_is_issued_once(db):
    from circulation.patrons import register, save_category
    from circulation.schemas import PatronCategoryWrite, PatronCreate
    from ils.auth.principal import job
    from ils.clock import get_clock
    from ils.errors import Conflict

    make_network(db)
    with db.session() as s:
        save_category(s, PatronCategoryWrite(code="adult", name="成人读者"))
    def desk(n: int) -> str:
        with db.session() as s:
            register(s, PatronCreate(**_reader(name=f"读者{n}")), job(f"desk{n}"), get_clock().now())
        return "issued"

    outcomes = ["taken" if isinstance(r, Conflict) else r for r in at_once(desk, 6, Conflict)]
    assert sorted(outcomes) == ["issued"] + ["taken"] * 5
