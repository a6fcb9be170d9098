"""Imports of garbage stay small: rejections counted but capped, files that are not MARC stopped
early with nothing written, uploads over ILS_MAX_UPLOAD_MB refused before they are read.

The garbage is made here (seeded random bytes, MARC records with their directory broken), never
kept as files.
"""

from __future__ import annotations

import io
import random
import socket
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from catalog.importer import IMPORT_NOT_MARC, ImportNotMarc, ImportOptions, import_marc
from catalog.marc import to_iso2709
from catalog.models import ImportBatch, ImportIssue, Item, Record, RecordSource
from ils.outbox.models import OutboxMessage
from tests.support.factories import make_network, make_user, staff
from tests.support.live_server import live_server
from tests.support.marc import cnmarc

MIB = 1024 * 1024
IMPORT = "/api/v1/records/import"


def garbage(size: int, seed: int = 7) -> bytes:
    """Random bytes: they hold 0x1D and 0x1E often enough to pass for ISO 2709 at first sight."""
    return random.Random(seed).randbytes(size)


def good(n: int, start: int = 0) -> bytes:
    return b"".join(
        to_iso2709(cnmarc(f"书名{k}", author=f"作者{k}", control=f"G{k}", holdings=[("DC", f"B{k:06d}")]), "cnmarc")
        for k in range(start, start + n)
    )


def broken_directory(n: int) -> bytes:
    """MARC records with a sound leader whose first directory entry is not numbers."""
    out = []
    for k in range(n):
        raw = bytearray(to_iso2709(cnmarc(f"坏目录{k}", control=f"X{k}"), "cnmarc"))
        raw[27:36] = b"ABCDEFGHI"
        out.append(bytes(raw))
    return b"".join(out)


def count(db, model) -> int:
    with db.session(write=False) as s:
        return s.scalar(select(func.count()).select_from(model))


def nothing_written(db) -> bool:
    return all(count(db, m) == 0 for m in (Record, RecordSource, Item, OutboxMessage))


def test_random_bytes_stop_after_the_first_records_with_one_reason_and_nothing_written(db):
    make_network(db)
    stream = io.BytesIO(garbage(4 * MIB))
    with pytest.raises(ImportNotMarc) as caught:
        import_marc(db, stream, ImportOptions(filename="noise.mrc"))
    stopped = caught.value
    assert stopped.code == IMPORT_NOT_MARC == "IMPORT_NOT_MARC"
    assert "noise.mrc is not MARC" in stopped.detail and "only 0 could be read" in stopped.detail
    assert stream.tell() < 2 * MIB  # stopped early: most of the file was never read
    result = stopped.result
    assert (result.read, result.imported, result.merged, result.rejected) == (100, 0, 0, 100)
    assert nothing_written(db)
    with db.session(write=False) as s:
        batch = s.get(ImportBatch, result.batch_id)
        assert (batch.stop_code, batch.stop_index, batch.read, batch.imported) == ("IMPORT_NOT_MARC", 100, 100, 0)
        assert batch.finished_at is not None and batch.stop_message == stopped.detail


def test_a_few_marc_records_then_garbage_stop_and_the_few_are_not_imported_either(db):
    make_network(db)
    with pytest.raises(ImportNotMarc) as caught:
        import_marc(db, io.BytesIO(good(5) + garbage(2 * MIB)), ImportOptions(filename="mixed.mrc"))
    assert "only 5 could be read" in caught.value.detail
    assert caught.value.result.imported == 0
    assert nothing_written(db)


def test_iso2709_whose_directories_are_all_broken_stops_as_not_marc(db):
    with pytest.raises(ImportNotMarc) as caught:
        import_marc(db, io.BytesIO(broken_directory(300)), ImportOptions(filename="dirs.mrc"))
    assert "MARC_DIRECTORY_INVALID ×100" in caught.value.detail
    assert count(db, Record) == 0


def test_a_few_broken_directories_among_good_records_import_the_good_ones(db):
    make_network(db)
    parts = []
    for k in range(150):
        parts.append(broken_directory(1) if k % 10 == 9 else good(1, start=k))
    result = import_marc(db, io.BytesIO(b"".join(parts)), ImportOptions(filename="vendor.mrc", batch_size=40))
    assert (result.read, result.imported, result.rejected, result.items_created) == (150, 135, 15, 135)
    assert [(e.index, e.code) for e in result.errors] == [(k, "MARC_DIRECTORY_INVALID") for k in range(10, 151, 10)]
    assert result.stop is None and not result.errors_truncated
    assert count(db, Record) == 135


def test_garbage_after_a_marc_start_is_counted_in_full_but_only_the_first_rejections_are_kept(db):
    make_network(db)
    data = good(20) + garbage(MIB)
    result = import_marc(db, io.BytesIO(data), ImportOptions(filename="tail.mrc", max_issues=50))
    assert result.imported == 20 and count(db, Record) == 20
    assert result.rejected > 2000 and result.read == result.imported + result.rejected
    assert len(result.errors) == 50 and result.errors_truncated
    assert result.errors[0].index == 21 and [e.index for e in result.errors] == sorted(e.index for e in result.errors)
    with db.session(write=False) as s:
        batch = s.get(ImportBatch, result.batch_id)
        assert (batch.rejected, batch.stop_code) == (result.rejected, None)
        kept = s.scalar(select(func.count()).select_from(ImportIssue).where(ImportIssue.batch_id == result.batch_id))
    assert kept == 50


def test_warnings_are_counted_in_full_and_capped_like_rejections(db):
    make_network(db)
    # Every copy at a unit the network does not have: one warning per record.
    records = [cnmarc(f"无馆{k}", control=f"W{k}", holdings=[("NOWHERE", f"N{k:05d}")]) for k in range(30)]
    data = io.BytesIO(b"".join(to_iso2709(r, "cnmarc") for r in records))
    result = import_marc(db, data, ImportOptions(filename="w.mrc", max_issues=10, batch_size=7))
    assert result.imported == 30 and result.warned == 30
    assert len(result.warnings) == 10 and result.warnings_truncated
    assert {w.code for w in result.warnings} == {"ITEM_UNIT_UNKNOWN"}


def test_a_short_file_of_garbage_is_rejected_record_by_record_as_before(db):
    # Fewer records than the verdict needs: nothing to judge, nothing written, every piece listed.
    result = import_marc(db, io.BytesIO(garbage(8000, seed=3)), ImportOptions(filename="short.mrc"))
    assert result.stop is None and result.read == result.rejected > 0 and result.imported == 0
    assert len(result.errors) == result.rejected


# ------------------------------------------------------------------ the API


def test_garbage_upload_is_refused_with_a_small_answer_and_its_report_stays_small(client, db):
    headers = staff(client, db, "cataloguer")
    response = client.post(IMPORT, headers=headers, files={"file": ("noise.mrc", garbage(8 * MIB))})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "IMPORT_NOT_MARC" and len(response.content) < 2000
    report = client.get(f"/api/v1/imports/{body['batch_id']}", headers=headers)
    assert report.status_code == 200 and len(report.content) < 64 * 1024
    report = report.json()
    assert report["stop"]["code"] == "IMPORT_NOT_MARC" and report["stop"]["index"] == 100
    assert (report["read"], report["imported"], report["rejected"], report["errors_kept"]) == (100, 0, 100, 100)
    assert count(db, Record) == 0


def test_import_answer_lists_the_first_100_and_the_kept_rejections_page_in_order(client, db, monkeypatch):
    from ils.config import get_settings

    make_network(db)
    headers = staff(client, db, "cataloguer")
    monkeypatch.setenv("ILS_IMPORT_MAX_ISSUES", "250")
    get_settings.cache_clear()
    response = client.post(IMPORT, headers=headers, files={"file": ("tail.mrc", good(20) + garbage(2 * MIB))})
    assert response.status_code == 200, response.text
    assert len(response.content) < 64 * 1024
    body = response.json()
    assert body["imported"] == 20 and body["rejected"] > 5000
    assert (len(body["errors"]), body["errors_kept"], body["errors_truncated"]) == (100, 250, True)
    report = client.get(f"/api/v1/imports/{body['batch_id']}", headers=headers).json()
    assert report["rejected"] == body["rejected"] and report["errors"] == body["errors"]
    assert (report["errors_kept"], report["errors_truncated"], report["stop"]) == (250, True, None)
    pages = [client.get(f"/api/v1/imports/{body['batch_id']}/issues", headers=headers,
                        params={"offset": offset, "limit": 100}).json() for offset in (0, 100, 200)]
    assert [len(p["issues"]) for p in pages] == [100, 100, 50] and {p["total"] for p in pages} == {250}
    indexes = [i["index"] for p in pages for i in p["issues"]]
    assert indexes[0] == 21 and indexes == sorted(indexes) and len(set(indexes)) == 250
    warnings = client.get(f"/api/v1/imports/{body['batch_id']}/issues", headers=headers,
                          params={"severity": "warning"}).json()
    assert warnings["total"] == 0 and warnings["issues"] == []
    assert client.get("/api/v1/imports/999999/issues", headers=headers).json()["error"] == "IMPORT_NOT_FOUND"


def _chunked(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "ils-test-boundary-0123456789"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/marc\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_upload_without_a_length_is_counted_and_refused_past_the_limit(client, db, monkeypatch):
    from ils.config import get_settings

    make_network(db)
    headers = staff(client, db, "cataloguer")
    monkeypatch.setenv("ILS_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    body, content_type = _multipart("big.mrc", good(10) + garbage(2 * MIB))
    response = client.post(IMPORT, headers={**headers, "Content-Type": content_type}, content=_chunked(body))
    assert response.request.headers.get("content-length") is None  # sent chunked: no length to trust
    assert response.status_code == 413 and response.json()["error"] == "IMPORT_FILE_TOO_LARGE"
    assert count(db, Record) == 0 and count(db, ImportBatch) == 0
    # The same way, under the limit, a file imports.
    body, content_type = _multipart("small.mrc", good(10))
    response = client.post(IMPORT, headers={**headers, "Content-Type": content_type}, content=_chunked(body, 1000))
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 10


def _read_answer(conn: socket.socket) -> bytes:
    """One HTTP answer: its head, then as many body bytes as its Content-Length says."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = conn.recv(65536)
        if not chunk:
            return answer
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_live_server_refuses_a_declared_oversize_upload_before_its_body_is_sent(db):
    make_user(db, "cat-live", "cataloguer")
    with live_server(db.url, extra_env={"ILS_MAX_UPLOAD_MB": "5"}) as url:
        import httpx

        token = httpx.post(f"{url}/api/v1/auth/token", json={"username": "cat-live", "password": "password-123"})
        port = int(url.rsplit(":", 1)[1])
        head = (f"POST {IMPORT} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token.json()['access_token']}\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {700 * MIB}\r\n\r\n--x\r\n").encode()
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=15) as conn:
            conn.sendall(head)  # ...and never the 700 MB
            answer = _read_answer(conn)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"IMPORT_FILE_TOO_LARGE"' in answer
    assert time.monotonic() - started < 10
    assert count(db, ImportBatch) == 0
