"""What the system cannot measure, entered: gate counter files (good rows kept, every bad row
reported by line; importing twice counts once; GBK; a manual entry at the desk wins the day), the
visits reports count by the documented rule, and the annual table's fields with who and when."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from tests.support.entries import gate_file
from tests.support.factories import make_network, staff


def _ids(db) -> dict[str, int]:
    from ils.network.models import Unit

    with db.session() as s:
        return dict(s.execute(select(Unit.code, Unit.id)).all())


def _totals(db, start=date(2026, 1, 1), end=date(2026, 12, 31)) -> dict[str, tuple[int, int]]:
    from reports.entries.public import visit_totals

    ids = _ids(db)
    codes = {uid: code for code, uid in ids.items()}
    with db.session() as s:
        return {codes[u]: (t.visits, t.days) for u, t in visit_totals(s, ids.values(), start, end).items()}


def _import(client, headers, *lines, **kw):
    return client.post("/api/v1/visits/import", headers=headers, files=gate_file(*lines, **kw))


MIXED = (
    "DC,2026-11-20,,1520,1498",          # line 2: good
    "DC-TD,2026-11-31,,40,40",           # 3: no such day
    "DC-XX,2026-11-20,,40,40",           # 4: unknown unit
    "DC-TD,2026-11-20,,-5,3",            # 5: negative
    "DC-TD,2026-11-20,,12",              # 6: a column missing
    "DC-TD,2026-11-20,24,3,3",           # 7: hour 24
    "DC-TD,2026-11-20,9,35,12",          # 8: good
    "DC-TD,2026-11-20,9,35,12",          # 9: the same hour again
    "",                                  # an empty line is skipped, not reported
    "DC-TD,2026-11-20,10,41,30",         # 11: good
)


def test_a_gate_file_keeps_the_good_rows_and_reports_every_bad_one_with_its_line(client, db):
    make_network(db)
    manager = staff(client, db, "manager")
    answer = _import(client, manager, *MIXED)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["lines"], body["imported"], body["replaced"], body["rejected"]) == (9, 3, 0, 6)
    assert [(i["line"], i["code"]) for i in body["issues"]] == [
        (3, "VISIT_ROW_DATE_INVALID"), (4, "VISIT_ROW_UNIT_UNKNOWN"), (5, "VISIT_ROW_COUNT_INVALID"),
        (6, "VISIT_ROW_COLUMNS"), (7, "VISIT_ROW_HOUR_INVALID"), (9, "VISIT_ROW_DUPLICATE")]
    assert "line 8" in body["issues"][-1]["message"] and "negative" in body["issues"][2]["message"]
    assert (body["units"], body["first_day"], body["last_day"]) == (["DC", "DC-TD"], "2026-11-20", "2026-11-20")
    # The out-counts are kept, never added: a two-way gate counts each visitor in and out.
    assert _totals(db) == {"DC": (1520, 1), "DC-TD": (76, 1)}


def test_importing_the_same_file_twice_counts_it_once_and_a_corrected_file_replaces_its_rows(client, db):
    make_network(db)
    manager = staff(client, db, "manager")
    _import(client, manager, *MIXED)
    again = _import(client, manager, *MIXED).json()
    assert (again["imported"], again["replaced"], again["rejected"]) == (3, 3, 6)
    assert _totals(db) == {"DC": (1520, 1), "DC-TD": (76, 1)}
    corrected = _import(client, manager, "DC-TD,2026-11-20,10,45,30", "DC-TD,2026-11-20,11,20,25").json()
    assert (corrected["imported"], corrected["replaced"]) == (2, 1)
    assert _totals(db)["DC-TD"] == (35 + 45 + 20, 1)


def test_a_gbk_file_with_chinese_column_names_and_a_utf8_file_with_a_bom_are_read(client, db):
    make_network(db)
    manager = staff(client, db, "manager")
    gbk = _import(client, manager, "DC-TD,2026/11/19,88", header="馆代码,日期,进馆", encoding="gbk").json()
    assert (gbk["encoding"], gbk["imported"], gbk["rejected"]) == ("gbk", 1, 0)
    bom = client.post("/api/v1/visits/import", headers=manager, files={"file": (
        "gate.csv", "\ufeffunit,date,hour,in,out\r\nDC-WL,2026-11-19,,61,60\r\n".encode("utf-8"), "text/csv")}).json()
    assert (bom["encoding"], bom["imported"]) == ("utf-8-sig", 1)
    assert _totals(db) == {"DC-TD": (88, 1), "DC-WL": (61, 1)}


def test_a_file_that_is_not_a_gate_file_is_refused_whole(client, db):
    make_network(db)
    manager = staff(client, db, "manager")
    no_header = _import(client, manager, "DC,2026-11-20,,1,1", header="DC,2026-11-19,,5,5")
    assert no_header.status_code == 422 and no_header.json()["error"] == "VISIT_FILE_HEADER_INVALID"
    assert no_header.json()["missing"] == ["unit", "date", "in"]
    binary = client.post("/api/v1/visits/import", headers=manager, files={"file": ("x.csv", b"\xff\xfe\x00\xd8\xff",
                                                                                     "text/csv")})
    assert binary.status_code == 422 and binary.json()["error"] == "VISIT_FILE_UNREADABLE"
    assert _totals(db) == {}


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(client, db, monkeypatch):
    from ils.config import get_settings

    make_network(db)
    manager = staff(client, db, "manager")
    monkeypatch.setenv("ILS_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    big = "\n".join(f"DC,2026-11-{1 + n % 20:02d},{n % 24},{n},{n}" for n in range(60000))
    answer = client.post("/api/v1/visits/import", headers=manager, files=gate_file(big))
    assert answer.status_code == 413 and answer.json()["error"] == "VISIT_FILE_TOO_LARGE"
    assert _totals(db) == {}


def test_a_manual_entry_wins_the_day_over_the_counter_and_removing_it_brings_the_counter_back(client, db):
    make_network(db)
    lib = staff(client, db, "librarian", ("DC-TD",))
    _import(client, lib, "DC-TD,2026-11-20,9,35,30", "DC-TD,2026-11-20,10,41,40", "DC-TD,2026-11-21,,50,50")
    # The counter was broken on the 20th: the desk counted 120 by hand.
    entered = client.put("/api/v1/visits", headers=lib, json={"unit": "DC-TD", "date": "2026-11-20",
                                                              "in_count": 120, "note": "计数器故障"})
    assert entered.status_code == 200, entered.text
    assert entered.json() | {} == {"date": "2026-11-20", "visits": 120, "counted": "manual", "manual": 120,
                                   "imported_day": None, "imported_hours": 76, "hours": 2, "out": None}
    # Importing the day again afterwards does not overrule the desk.
    _import(client, lib, "DC-TD,2026-11-20,9,36,30")
    assert _totals(db) == {"DC-TD": (120 + 50, 2)}
    rows = client.get("/api/v1/visits/rows", headers=lib, params={"unit": "DC-TD", "date": "2026-11-20"}).json()
    assert [(r["source"], r["hour"], r["in_count"], r["entered_by"]) for r in rows] == [
        ("import", 9, 36, "staff:librarian-dc-td"), ("import", 10, 41, "staff:librarian-dc-td"),
        ("manual", None, 120, "staff:librarian-dc-td")]
    assert rows[2]["note"] == "计数器故障" and rows[0]["file_name"] == "gate.csv"
    assert client.delete("/api/v1/visits", headers=lib, params={"unit": "DC-TD", "date": "2026-11-20"}
                         ).status_code == 204
    assert _totals(db) == {"DC-TD": (36 + 41 + 50, 2)}
    again = client.delete("/api/v1/visits", headers=lib, params={"unit": "DC-TD", "date": "2026-11-20"})
    assert again.status_code == 404 and again.json()["error"] == "VISIT_ENTRY_NOT_FOUND"


def test_a_daily_total_wins_over_the_hours_and_a_both_ways_total_counts_half(client, db):
    make_network(db)
    manager = staff(client, db, "manager")
    _import(client, manager,
            "DC,2026-11-18,,500,", "DC,2026-11-18,9,100,",  # the day's total and one hour: the total
            "DC,2026-11-19,9,10,", "DC,2026-11-19,10,,7",  # an hour in, an hour both ways: 10 + 4
            "DC-WL,2026-11-19,,,201",  # a both-ways daily total: 101
            header="unit,date,hour,in,both")
    days = client.get("/api/v1/visits", headers=manager, params={"unit": "DC", "from": "2026-11-18",
                                                                 "to": "2026-11-19"}).json()
    assert [(d["date"], d["visits"], d["counted"]) for d in days["days"]] == [
        ("2026-11-18", 500, "import_day"), ("2026-11-19", 14, "import_hours")]
    assert days["visits"] == 514
    assert _totals(db) == {"DC": (514, 2), "DC-WL": (101, 1)}
    assert _totals(db, date(2026, 11, 19), date(2026, 11, 19)) == {"DC": (14, 1), "DC-WL": (101, 1)}
    # A period's default start (30 days before its end) stops at the first day of the calendar.
    ancient = client.get("/api/v1/visits", headers=manager, params={"unit": "DC", "to": "0001-01-05"})
    assert ancient.status_code == 200 and (ancient.json()["from"], ancient.json()["days"]) == ("0001-01-01", [])
    too_long = client.get("/api/v1/visits", headers=manager, params={"unit": "DC", "from": "2025-01-01"})
    assert too_long.status_code == 422 and too_long.json()["error"] == "VISIT_PERIOD_INVALID"


def test_a_librarian_enters_visits_only_for_their_own_units(client, db):
    make_network(db)
    lib = staff(client, db, "librarian", ("DC-TD",))
    other = client.put("/api/v1/visits", headers=lib, json={"unit": "DC-WL", "date": "2026-11-20", "in_count": 5})
    assert other.status_code == 403 and other.json()["error"] == "UNIT_OUT_OF_SCOPE"
    # A file with another unit's rows is refused whole, naming them; nothing of it is kept.
    mixed = _import(client, lib, "DC-TD-01,2026-11-20,,20,", "DC-WL,2026-11-20,,30,", "XD,2026-11-20,,40,")
    assert mixed.status_code == 403 and mixed.json()["units"] == ["DC-WL", "XD"]
    assert _totals(db) == {}
    assert client.get("/api/v1/visits", headers=lib, params={"unit": "DC-WL"}).status_code == 403
    # Their village point (no counter): entered by hand at the desk.
    point = client.put("/api/v1/visits", headers=lib, json={"unit": "DC-TD-01", "date": "2026-11-20", "in_count": 18})
    assert point.status_code == 200 and _totals(db) == {"DC-TD-01": (18, 1)}
    future = client.put("/api/v1/visits", headers=lib, json={"unit": "DC-TD-01", "date": "2026-11-24", "in_count": 1})
    assert future.status_code == 422 and future.json()["error"] == "VISIT_DATE_INVALID"


def test_a_manual_entry_entered_again_replaces_it_and_the_event_log_keeps_the_one_before(client, db):
    from ils.events import Event

    make_network(db)
    lib = staff(client, db, "librarian", ("DC-TD",))
    for count in (18, 21):
        assert client.put("/api/v1/visits", headers=lib, json={"unit": "DC-TD-01", "date": "2026-11-20",
                                                               "in_count": count}).status_code == 200
    assert _totals(db) == {"DC-TD-01": (21, 1)}
    with db.session() as s:
        events = s.scalars(select(Event).where(Event.kind == "visit.set").order_by(Event.id)).all()
    assert [(e.before and e.before["in"], e.after["in"]) for e in events] == [(None, 18), (18, 21)]


def _fields(client, headers, unit="DC", year=2025):
    answer = client.get("/api/v1/annual-fields", headers=headers, params={"unit": unit, "year": year})
    assert answer.status_code == 200, answer.text
    return {f["code"]: f for f in answer.json()["fields"]}


def test_annual_fields_are_entered_with_who_and_when_and_keep_the_value_before(client, db, clock):
    from ils.events import Event
    from reports.entries.public import annual_values

    make_network(db)
    manager = staff(client, db, "manager")
    blank = _fields(client, manager)
    assert blank["floor_area"]["value"] is None and blank["floor_area"]["unit_zh"] == "平方米"
    assert {f["kind"] for f in blank.values()} == {"int", "money", "decimal"}
    saved = client.put("/api/v1/annual-fields", headers=manager, params={"unit": "DC", "year": 2025}, json={"values": {
        "staff_established": 12, "staff_contract": 5, "floor_area": "2150.5", "e_resources_tb": 3.25,
        "income_fiscal": 186000000, "spend_acquisitions": 45000000}})
    assert saved.status_code == 200, saved.text
    clock.advance(hours=1)
    later = staff(client, db, "manager", username="manager-2")
    client.put("/api/v1/annual-fields", headers=later, params={"unit": "DC", "year": 2025},
               json={"values": {"floor_area": 2200, "staff_contract": None}})
    fields = _fields(client, later)
    assert (fields["floor_area"]["value"], fields["floor_area"]["previous"]) == ("2200.00", "2150.50")
    assert (fields["floor_area"]["entered_by"], fields["floor_area"]["entered_at"]) == (
        "staff:manager-2", "2026-11-23T10:00:00Z")
    established = fields["staff_established"]
    assert (established["value"], established["entered_by"]) == (12, "staff:manager-all")
    assert fields["staff_contract"]["value"] is None and fields["staff_contract"]["previous"] == 5
    assert fields["e_resources_tb"]["value"] == "3.250" and fields["income_fiscal"]["value"] == 186000000
    dc = _ids(db)["DC"]
    with db.session() as s:
        changes = s.scalars(select(Event).where(Event.kind == "annual_field.set",
                                                Event.subject == "annual:DC:2025:floor_area").order_by(Event.id)).all()
        kept = annual_values(s, [dc], 2025)[dc]
    assert [(e.before and e.before["value"], e.after["value"], e.actor) for e in changes] == [
        (None, "2150.50", "staff:manager-all"), ("2150.50", "2200.00", "staff:manager-2")]
    assert kept["floor_area"].value == Decimal("2200.00") and kept["floor_area"].stored == 220000
    assert kept["income_fiscal"].value == 186000000 and "staff_contract" not in kept
    # Another year is another set of fields.
    assert _fields(client, later, year=2026)["floor_area"]["value"] is None


def test_an_annual_field_refuses_values_that_do_not_fit_it(client, db):
    make_network(db)
    manager = staff(client, db, "manager")

    def put(values, year=2025):
        return client.put("/api/v1/annual-fields", headers=manager, params={"unit": "DC", "year": year},
                          json={"values": values})

    for values, code in (({"seats": -1}, "ANNUAL_FIELD_INVALID"), ({"seats": 2.5}, "ANNUAL_FIELD_INVALID"),
                         ({"income_fiscal": "100.5"}, "ANNUAL_FIELD_INVALID"),
                         ({"floor_area": "10.125"}, "ANNUAL_FIELD_INVALID"),
                         ({"parking": 3}, "ANNUAL_FIELD_UNKNOWN"),
                         ({"computers": 10, "computers_public": 12}, "ANNUAL_FIELD_PART_EXCEEDS")):
        answer = put(values)
        assert (answer.status_code, answer.json()["error"]) == (422, code), values
    assert put({"seats": 1}, year=2027).json()["error"] == "ANNUAL_YEAR_INVALID"
    assert put({"computers": 10, "computers_public": 8}).status_code == 200
    # Lowering the whole below a part already kept is the same slip.
    lowered = put({"computers": 6})
    assert lowered.status_code == 422 and lowered.json()["field"] == "computers_public"
    assert _fields(client, manager)["computers"]["value"] == 10


def test_a_librarian_enters_the_annual_fields_of_their_own_units_only(client, db):
    make_network(db)
    lib = staff(client, db, "librarian", ("DC-TD",))
    other = client.put("/api/v1/annual-fields", headers=lib, params={"unit": "DC-WL", "year": 2025},
                       json={"values": {"seats": 40}})
    assert other.status_code == 403 and other.json()["error"] == "UNIT_OUT_OF_SCOPE"
    assert client.get("/api/v1/annual-fields", headers=lib, params={"unit": "DC", "year": 2025}).status_code == 403
    own = client.put("/api/v1/annual-fields", headers=lib, params={"unit": "DC-TD-01", "year": 2025},
                     json={"values": {"seats": 40}})
    assert own.status_code == 200
    assert _fields(client, staff(client, db, "manager"), "DC-WL")["seats"]["value"] is None


def test_ils_import_visits_prints_the_counts_and_the_bad_lines(db, tmp_path):
    from typer.testing import CliRunner

    from ils.cli import app

    make_network(db)
    path = tmp_path / "gate.csv"
    path.write_text("\n".join(("unit,date,hour,in,out", *MIXED)) + "\n", encoding="gbk")
    result = CliRunner().invoke(app, ["import-visits", str(path)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "read 9, imported 3, replaced 0, rejected 6" in output
    assert "line 7 VISIT_ROW_HOUR_INVALID" in output and "line 9 VISIT_ROW_DUPLICATE" in output
    assert _totals(db) == {"DC": (1520, 1), "DC-TD": (76, 1)}
    again = CliRunner().invoke(app, ["import-visits", str(path)])
    assert "replaced 3" in " ".join(again.output.split()) and _totals(db) == {"DC": (1520, 1), "DC-TD": (76, 1)}
    missing = CliRunner().invoke(app, ["import-visits", str(tmp_path / "none.csv")])
    assert missing.exit_code == 1
