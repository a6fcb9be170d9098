"""The union catalogue: merging on import, holdings, editing with versions, items, export."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from catalog.importer import ImportOptions, import_marc
from catalog.models import Item, Record, RecordSource, RecordVersion
from ils.outbox.models import OutboxMessage
from tests.support.concurrency import at_once
from tests.support.factories import make_network, staff
from tests.support.marc import cnmarc, iso2709, to_dict
from tests.support.shared_data import shared_path

HLM = "9787020002207"  # 红楼梦, 人民文学出版社


def _import(db, records, **kw):
    return import_marc(db, iso2709(records), ImportOptions(filename="t.iso", **kw))


def _count(db, model) -> int:
    with db.session(write=False) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_reimporting_the_same_file_merges_instead_of_duplicating(db):
    make_network(db)
    records = [cnmarc("红楼梦", isbn="978-7-02-000220-7", holdings=[("DC", "0100000001")]),
               cnmarc("三国演义", author="罗贯中", holdings=[("DC-TD", "0100000002")])]
    first = _import(db, records)
    assert (first.imported, first.merged, first.items_created) == (2, 0, 2)
    again = _import(db, records)
    assert (again.imported, again.merged, again.items_created) == (0, 2, 0)
    assert again.record_ids == first.record_ids
    assert _count(db, Record) == 2 and _count(db, Item) == 2


def test_isbn10_and_isbn13_with_hyphens_are_the_same_book(db):
    make_network(db)
    a = _import(db, [cnmarc("红楼梦", isbn="7-02-000220-X", holdings=[("DC", "A1")])])
    b = _import(db, [cnmarc("红楼梦（校注本）", isbn="978-7-02-000220-7", publisher="人民文学出版社",
                            holdings=[("DC-TD", "A2")])])
    assert b.merged == 1 and b.record_ids == a.record_ids
    with db.session(write=False) as s:
        items = s.scalars(select(Item).order_by(Item.barcode)).all()
        assert {i.record_id for i in items} == set(a.record_ids)  # both sources' copies kept


def test_record_without_isbn_merges_on_title_author_edition_year(db):
    make_network(db)
    a = _import(db, [cnmarc("边城", author="沈从文", year="2005")])
    same = _import(db, [cnmarc("边 城", author="沈从文", year="2005", control="OTHER-1")])
    other_year = _import(db, [cnmarc("边城", author="沈从文", year="2010")])
    other_edition = _import(db, [cnmarc("边城", author="沈从文", year="2005", edition="第2版")])
    assert same.merged == 1 and same.record_ids == a.record_ids
    assert other_year.imported == 1 and other_edition.imported == 1
    with db.session(write=False) as s:
        merged_source = s.scalars(select(RecordSource).where(RecordSource.merged.is_(True))).one()
        assert merged_source.control_number == "OTHER-1"
        assert merged_source.marc is not None  # the merged source's own MARC is kept


def test_record_without_isbn_gains_the_isbn_of_a_merged_source(client, db):
    first = _import(db, [cnmarc("边城", author="沈从文", year="2005")])
    _import(db, [cnmarc("边城", author="沈从文", year="2005", isbn="978-7-02-000220-7")])
    body = client.get(f"/api/v1/records/{first.record_ids[0]}").json()
    assert body["isbns"] == [HLM]
    summary = client.get("/api/v1/records").json()["records"][0]
    assert summary["isbn"] == HLM


def test_two_different_isbns_with_the_same_title_stay_two_records(db):
    a = _import(db, [cnmarc("活着", author="余华", isbn="9787506365437", year="2012")])
    b = _import(db, [cnmarc("活着", author="余华", isbn="9787530215593", year="2012")])
    assert a.imported == 1 and b.imported == 1


def test_rejected_records_are_reported_and_neighbours_still_import(db):
    path = shared_path("marc21", "pymarc", "bad_records.mrc")
    with path.open("rb") as f:
        result = import_marc(db, f, ImportOptions(filename=path.name))
    assert result.rejected == 3
    assert [(e.index, e.code) for e in result.errors] == [
        (4, "MARC_DIRECTORY_INVALID"), (5, "MARC_DIRECTORY_INVALID"), (7, "MARC_NO_FIELDS")]
    assert result.imported + result.merged == 5


def test_gb18030_and_utf8_files_of_the_same_records_merge(db):
    with shared_path("unimarc_cnmarc", "derived", "bnu_cnmarc_utf8.iso").open("rb") as f:
        utf8 = import_marc(db, f, ImportOptions(filename="utf8.iso"))
    with shared_path("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030_crlf.iso").open("rb") as f:
        gbk = import_marc(db, f, ImportOptions(filename="gbk.iso"))
    assert gbk.encoding == "gb18030" and utf8.encoding == "utf-8"
    assert gbk.imported == 0 and gbk.merged == 10
    assert gbk.record_ids == utf8.record_ids


def test_holdings_become_items_at_their_units_with_warnings_for_the_rest(db):
    make_network(db)
    record = cnmarc("红楼梦", isbn=HLM, holdings=[("DC-TD", "B1"), ("NOWHERE", "B2"), ("DC", "B3")])
    result = _import(db, [record])
    assert result.items_created == 2
    assert [(w.index, w.code) for w in result.warnings] == [(1, "ITEM_UNIT_UNKNOWN")]
    with db.session(write=False) as s:
        item = s.scalars(select(Item).where(Item.barcode == "B1")).one()
        assert item.call_number == "I242.4/1" and item.status == "available"


def test_default_unit_receives_holdings_that_name_none(db):
    make_network(db)
    record = cnmarc("红楼梦", isbn=HLM, holdings=[("", "C1")])
    result = _import(db, [record], unit_code="DC-WL")
    assert result.items_created == 1


def test_barcode_of_another_record_is_not_stolen(db):
    make_network(db)
    _import(db, [cnmarc("红楼梦", isbn=HLM, holdings=[("DC", "D1")])])
    result = _import(db, [cnmarc("水浒传", author="施耐庵", holdings=[("DC", "D1")])])
    assert result.imported == 1 and result.items_created == 0
    assert [w.code for w in result.warnings] == ["ITEM_BARCODE_TAKEN"]


def test_import_writes_outbox_rows_with_the_records(db):
    make_network(db)
    first = _import(db, [cnmarc("红楼梦", isbn=HLM), cnmarc("西游记", author="吴承恩")])
    # Merging adds only a copy: the record's holdings changed, so the index must hear of it.
    second = _import(db, [cnmarc("红楼梦", isbn=HLM, holdings=[("DC", "H1")])])
    with db.session(write=False) as s:
        payloads = [m.payload for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert payloads == [{"created": first.record_ids, "edited": [], "holdings": []},
                        {"created": [], "edited": [], "holdings": second.record_ids}]


def test_concurrent_imports_of_overlapping_files_make_no_duplicates(db):
    make_network(db)
    books = [cnmarc(f"书{i}", isbn=None, author=f"作者{i}", holdings=[("DC", f"E{i}")]) for i in range(60)]
    files = [books[:40], books[20:], books[10:50], books]
    results = at_once(
        lambda n: import_marc(db, iso2709(files[n]), ImportOptions(filename="c.iso", batch_size=7)), len(files)
    )
    assert _count(db, Record) == 60 and _count(db, Item) == 60
    assert sum(r.imported for r in results) == 60


def test_import_api_reports_counts_and_errors(client, db):
    make_network(db)
    headers = staff(client, db, "cataloguer")
    path = shared_path("marc21", "pymarc", "bad_records.mrc")
    response = client.post("/api/v1/records/import", headers=headers,
                           files={"file": (path.name, path.read_bytes(), "application/marc")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rejected"] == 3 and body["imported"] + body["merged"] == 5
    assert body["errors"][0] == {"index": 4, "code": "MARC_DIRECTORY_INVALID", "message": body["errors"][0]["message"]}
    # A librarian may not import into the union catalogue.
    librarian = staff(client, db, "librarian", ("DC-TD",))
    assert client.post("/api/v1/records/import", headers=librarian,
                       files={"file": ("x.mrc", b"", "application/marc")}).status_code == 403


def test_import_report_and_record_sources_can_be_read_again_later(client, db):
    make_network(db)
    headers = staff(client, db, "cataloguer")
    path = shared_path("marc21", "pymarc", "bad_records.mrc")
    first = client.post("/api/v1/records/import", headers=headers,
                        files={"file": (path.name, path.read_bytes())}).json()
    again = client.post("/api/v1/records/import", headers=headers,
                        files={"file": ("again.mrc", path.read_bytes())}).json()
    report = client.get(f"/api/v1/imports/{first['batch_id']}", headers=headers).json()
    assert (report["filename"], report["read"], report["rejected"]) == ("bad_records.mrc", 8, 3)
    assert [(e["index"], e["code"]) for e in report["errors"]] == [(e["index"], e["code"]) for e in first["errors"]]
    assert report["created_by"] == "staff:cataloguer-all" and report["finished_at"] is not None
    record_id = first["record_ids"][0]
    sources = client.get(f"/api/v1/records/{record_id}/sources", headers=headers).json()
    assert [(s["filename"], s["merged"]) for s in sources][:2] == [("bad_records.mrc", False), ("bad_records.mrc", True)]
    assert sources[-1]["filename"] == "again.mrc" and sources[-1]["merged"] is True
    assert again["imported"] == 0
    assert client.get("/api/v1/imports/999", headers=headers).json()["error"] == "IMPORT_NOT_FOUND"


def test_upload_over_the_size_limit_is_413_and_imports_nothing(client, db, monkeypatch):
    from ils.config import get_settings

    headers = staff(client, db, "cataloguer")
    monkeypatch.setenv("ILS_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    data = shared_path("marc21", "solrmarc", "uva_001_2000.mrc").read_bytes()
    assert len(data) > 1024 * 1024
    response = client.post("/api/v1/records/import", headers=headers, files={"file": ("big.mrc", data)})
    assert response.status_code == 413 and response.json()["error"] == "IMPORT_FILE_TOO_LARGE"
    assert _count(db, Record) == 0


def test_unreadable_file_is_a_clear_error(client, db):
    headers = staff(client, db, "cataloguer")
    response = client.post("/api/v1/records/import", headers=headers,
                           files={"file": ("notes.txt", "这不是MARC文件\n".encode(), "text/plain")})
    assert response.status_code == 422
    assert response.json()["error"] == "MARC_FILE_NOT_MARC"


# --- editing -----------------------------------------------------------------------------

def _create(client, headers, title="平凡的世界", isbn=None):
    response = client.post("/api/v1/records", headers=headers,
                           json={"flavour": "cnmarc", "marc": to_dict(cnmarc(title, isbn=isbn, author="路遥"))})
    assert response.status_code == 201, response.text
    return response


def test_edit_needs_the_etag_and_refuses_a_stale_one(client, db):
    headers = staff(client, db, "cataloguer")
    created = _create(client, headers)
    rid, etag = created.json()["id"], created.headers["ETag"]
    marc = to_dict(cnmarc("平凡的世界（全三册）", author="路遥"))
    assert client.put(f"/api/v1/records/{rid}", json={"marc": marc}, headers=headers).status_code == 428
    first = client.put(f"/api/v1/records/{rid}", json={"marc": marc}, headers={**headers, "If-Match": etag})
    assert first.status_code == 200 and first.json()["title"] == "平凡的世界（全三册）"
    assert first.headers["ETag"] != etag
    stale = client.put(f"/api/v1/records/{rid}", json={"marc": to_dict(cnmarc("覆盖", author="路遥"))},
                       headers={**headers, "If-Match": etag})
    assert stale.status_code == 412 and stale.json()["error"] == "RECORD_VERSION_STALE"
    assert client.get(f"/api/v1/records/{rid}").json()["title"] == "平凡的世界（全三册）"
    versions = client.get(f"/api/v1/records/{rid}/versions", headers=headers).json()
    assert [(v["version"], v["change"]) for v in versions] == [(1, "create"), (2, "edit")]
    assert versions[1]["changed_by"] == "staff:cataloguer-all"
    with db.session(write=False) as s:
        replaced = s.scalars(select(RecordVersion)).one()
    titles = [sf["a"] for f in replaced.marc["fields"] if "200" in f for sf in f["200"]["subfields"] if "a" in sf]
    assert replaced.version == 1 and titles == ["平凡的世界"]  # the replaced MARC is kept


def test_concurrent_edits_of_one_version_let_exactly_one_win(client, db):
    headers = staff(client, db, "cataloguer")
    created = _create(client, headers)
    rid, etag = created.json()["id"], created.headers["ETag"]
    from catalog.records import update_record
    from ils.clock import get_clock
    from ils.errors import PreconditionFailed

    def edit(n: int) -> str:
        with db.session() as s:
            update_record(s, rid, int(etag.strip('"')), to_dict(cnmarc(f"版本{n}", author="路遥")),
                          f"staff:editor{n}", get_clock().now())
        return "ok"

    outcomes = ["stale" if isinstance(r, PreconditionFailed) else r for r in at_once(edit, 8, PreconditionFailed)]
    assert sorted(outcomes) == ["ok"] + ["stale"] * 7
    assert _count(db, RecordVersion) == 1  # the one version the winner replaced
    with db.session(write=False) as s:
        edits = [m.payload["edited"] for m in s.scalars(select(OutboxMessage)) if m.payload["edited"]]
    assert edits == [[rid]]  # one event for the one edit that won


def test_creating_a_record_with_a_catalogued_isbn_is_409(client, db):
    headers = staff(client, db, "cataloguer")
    first = _create(client, headers, "红楼梦", isbn=HLM)
    second = client.post("/api/v1/records", headers=headers,
                         json={"flavour": "cnmarc", "marc": to_dict(cnmarc("红楼梦", isbn="7-02-000220-x"))})
    assert second.status_code == 409
    assert second.json()["error"] == "RECORD_ISBN_TAKEN" and second.json()["record_id"] == first.json()["id"]


def test_malformed_marc_json_is_422_with_code(client, db):
    headers = staff(client, db, "cataloguer")
    response = client.post("/api/v1/records", headers=headers,
                           json={"flavour": "cnmarc", "marc": {"leader": "short", "fields": []}})
    assert response.status_code == 422 and response.json()["error"] == "MARC_JSON_INVALID"


def test_record_read_shows_fields_and_copies_by_unit(client, db):
    make_network(db)
    _import(db, [cnmarc("红楼梦", isbn=HLM, holdings=[("DC", "F1"), ("DC", "F2"), ("DC-TD", "F3")])])
    body = client.get("/api/v1/records/1").json()
    assert body["title"] == "红楼梦" and body["isbns"] == [HLM] and body["clc"] == "I242.4"
    assert body["title_pinyin"] == "hong lou meng"
    assert {(h["unit"], h["copies"], h["available"]) for h in body["holdings"]} == {("DC", 2, 2), ("DC-TD", 1, 1)}
    page = client.get("/api/v1/records", params={"limit": 10}).json()
    assert page["total"] == 1 and page["records"][0]["copies"] == 3
    assert client.get("/api/v1/records/999").json()["error"] == "RECORD_NOT_FOUND"


# --- items -----------------------------------------------------------------------------------

def test_librarian_adds_items_only_for_units_they_serve(client, db):
    make_network(db)
    _import(db, [cnmarc("红楼梦", isbn=HLM)])
    headers = staff(client, db, "librarian", ("DC-TD",))
    ok = client.post("/api/v1/items", headers=headers,
                     json={"barcode": "0100000777", "record_id": 1, "unit": "DC-TD-01", "item_type": "children"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["owning_unit"] == "DC-TD-01" and ok.json()["call_number"] is None
    refused = client.post("/api/v1/items", headers=headers,
                          json={"barcode": "0100000778", "record_id": 1, "unit": "DC-WL"})
    assert refused.status_code == 403 and refused.json()["error"] == "UNIT_OUT_OF_SCOPE"
    taken = client.post("/api/v1/items", headers=headers,
                        json={"barcode": "0100000777", "record_id": 1, "unit": "DC-TD"})
    assert taken.status_code == 409 and taken.json()["error"] == "ITEM_BARCODE_TAKEN"
    item = client.get("/api/v1/items/0100000777", headers=headers).json()
    assert item["title"] == "红楼梦" and item["status"] == "available"


def test_items_sort_by_call_number_the_way_shelves_do(db):
    make_network(db)
    call_numbers = ["TP32/1", "I247.5/1234", "TP311/9", "I247.5/2", "I247.57/1", "I248/3", "A81/1"]
    records = []
    for n, cn in enumerate(call_numbers):
        record = cnmarc(f"书{n}", author=f"作者{n}", clc=cn.split("/")[0])
        from pymarc import Field, Indicators, Subfield

        record.add_field(Field(tag="905", indicators=Indicators(" ", " "), subfields=[
            Subfield("a", "DC"), Subfield("b", f"G{n}"), Subfield("d", cn.split("/")[0]), Subfield("e", cn.split("/")[1])]))
        records.append(record)
    _import(db, records)
    with db.session(write=False) as s:
        shelf = list(s.scalars(select(Item.call_number).order_by(Item.call_number_sort)))
    assert shelf == ["A81/1", "I247.5/2", "I247.5/1234", "I247.57/1", "I248/3", "TP311/9", "TP32/1"]


# --- export ----------------------------------------------------------------------------------

def test_export_then_import_gives_the_same_fields(client, db, tmp_path):
    make_network(db)
    with shared_path("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030.iso").open("rb") as f:
        import_marc(db, f, ImportOptions(filename="gbk.iso"))
    with shared_path("marc21", "pymarc", "marc.dat").open("rb") as f:
        import_marc(db, f, ImportOptions(filename="marc.dat"))
    headers = staff(client, db, "cataloguer")
    fields = ("title", "responsibility", "isbns", "publisher", "year", "clc", "title_pinyin", "language", "flavour")

    def snapshot():
        page = client.get("/api/v1/records", params={"limit": 500}).json()["records"]
        return sorted(tuple(str(client.get(f"/api/v1/records/{r['id']}").json()[k]) for k in fields) for r in page)

    before = snapshot()
    exported = client.get("/api/v1/records/export", params={"format": "iso2709"}, headers=headers).content
    xml = client.get("/api/v1/records/export", params={"format": "marcxml"}, headers=headers).content
    from tests.support.db import reset

    reset(db)
    result = import_marc(db, io.BytesIO(exported), ImportOptions(filename="export.mrc"))
    assert result.encoding == "utf-8" and result.rejected == 0
    assert snapshot() == before
    reset(db)
    result = import_marc(db, io.BytesIO(xml), ImportOptions(filename="export.xml"))
    assert result.rejected == 0
    assert snapshot() == before


def test_exported_marcxml_validates_against_the_slim_schema(client, db):
    import xmlschema

    with shared_path("unimarc_cnmarc", "dp2", "sample_cnmarcxml.xml").open("rb") as f:
        import_marc(db, f, ImportOptions(filename="cn.xml"))
    with shared_path("marc21", "solrmarc", "specTestRecs.mrc").open("rb") as f:
        import_marc(db, f, ImportOptions(filename="spec.mrc"))
    headers = staff(client, db, "cataloguer")
    from pathlib import Path

    schema = xmlschema.XMLSchema(str(Path(__file__).parent / "marc" / "marcxml.xsd"))
    for fmt in ("marcxml", "marc21xml"):
        document = client.get("/api/v1/records/export", params={"format": fmt}, headers=headers).content
        schema.validate(document)
    one = client.get("/api/v1/records/1", params={"format": "marc21xml"})
    assert one.status_code == 200 and b"<datafield tag=\"245\"" in one.content
    schema.validate(one.content)


def test_gbk_cnmarc_exports_as_utf8_with_the_charset_marked(client, db):
    import pymarc

    with shared_path("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030.iso").open("rb") as f:
        import_marc(db, f, ImportOptions(filename="gbk.iso"))
    data = client.get("/api/v1/records/1", params={"format": "iso2709"}).content
    data.decode("utf-8")  # valid UTF-8
    record = next(pymarc.MARCReader(io.BytesIO(data), to_unicode=True, force_utf8=True))
    assert record["100"]["a"][26:30] == "50  "
    assert "中国发展报告" in record["200"]["a"]


def test_the_documented_example_record_can_be_created(client, db):
    from catalog.schemas import MARC_JSON_EXAMPLE

    headers = staff(client, db, "cataloguer")
    response = client.post("/api/v1/records", headers=headers, json={"flavour": "cnmarc", "marc": MARC_JSON_EXAMPLE})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "红楼梦" and body["isbns"] == [HLM] and body["clc"] == "I242.4"
