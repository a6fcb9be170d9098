"""Routes of the union catalogue: records, import/export, items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Header, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from catalog import export, items, records, upload
from catalog import repository as repo
from catalog.importer import ImportOptions, ImportResult, import_marc
from catalog.schemas import (
    ImportBatchRead,
    ImportIssuePage,
    ImportIssueRead,
    ImportResultRead,
    ImportStopRead,
    ItemCreate,
    ItemRead,
    ItemUpdate,
    RecordCreate,
    RecordPage,
    RecordRead,
    RecordSourceRead,
    RecordSummary,
    RecordUpdate,
    RecordVersionRead,
)
from ils.auth.principal import Principal
from ils.clock import get_clock
from ils.db import Database
from ils.errors import NotFound
from ils.auth import gate
from ils.http import Now, Public, ReadSession, WriteSession, allows, database
from ils.validation import Id, Offset

router = APIRouter(prefix="/api/v1", tags=["catalogue"])
Cataloguer = Annotated[Principal, allows("record.write")]
StaffReader = Annotated[Principal, allows("record.read")]
ItemCreator = Annotated[Principal, allows("item.create")]
ItemWriter = Annotated[Principal, allows("item.write")]

ExportFormat = Literal["iso2709", "marcxml", "marc21xml", "json"]


# Issues of each severity in an import's answer; the rest that are kept are paged.
REPORT_ISSUES = 100


@upload.post(
    router, "/records/import", response_model=ImportResultRead,
    responses={413: {"description": "IMPORT_FILE_TOO_LARGE: the upload is over ILS_MAX_UPLOAD_MB (not read)"}},
)
def import_records(
    principal: Cataloguer,
    db: Annotated[Database, Depends(database)],
    file: Annotated[UploadFile, File(description="ISO 2709 or MARCXML file")],
    flavour: Annotated[Literal["marc21", "cnmarc"] | None, Form(description="Override flavour detection")] = None,
    encoding: Annotated[str | None, Form(description="Override encoding detection: utf-8, marc-8, gb18030 ...")] = None,
    unit: Annotated[str | None, Form(description="Owning unit for holdings that name none")] = None,
) -> ImportResultRead:
    """Import a MARC file of at most ILS_MAX_UPLOAD_MB (a larger one is refused with 413
    IMPORT_FILE_TOO_LARGE before it is read; import it with `ils import-marc` on the server).

    Every rejected record is counted and the first ILS_IMPORT_MAX_ISSUES are kept with their
    position, code and reason (the first 100 are in this answer, the rest at
    `/imports/{batch_id}/issues`); the rest of the file still imports. A file whose first 100
    records are mostly not MARC is refused with 422 IMPORT_NOT_MARC (its `batch_id` in the
    answer) and imports nothing. Re-importing merges instead of duplicating."""
    result = import_marc(
        db, file.file,
        ImportOptions(flavour=flavour, encoding=encoding or None, unit_code=unit or None,
                      filename=file.filename or "upload", actor=principal.label),
        clock=get_clock(),
    )
    return _import_result(result)


def _import_result(result: ImportResult) -> ImportResultRead:
    return ImportResultRead(
        batch_id=result.batch_id, filename=result.filename, format=result.format, encoding=result.encoding,
        read=result.read, imported=result.imported, merged=result.merged, rejected=result.rejected,
        warned=result.warned, items_created=result.items_created, record_ids=result.record_ids,
        errors=[ImportIssueRead(index=i.index, code=i.code, message=i.message) for i in result.errors[:REPORT_ISSUES]],
        warnings=[ImportIssueRead(index=i.index, code=i.code, message=i.message)
                  for i in result.warnings[:REPORT_ISSUES]],
        errors_kept=len(result.errors), warnings_kept=len(result.warnings),
        errors_truncated=result.errors_truncated, warnings_truncated=result.warnings_truncated,
    )


@router.get("/imports/{batch_id}", response_model=ImportBatchRead)
def get_import(batch_id: Id, session: ReadSession, _: StaffReader) -> ImportBatchRead:
    """The report of an earlier import: counts, why it stopped if it did, and the first 100
    rejected records and warnings (page the rest that are kept at `/imports/{batch_id}/issues`)."""
    batch = repo.get_batch(session, batch_id)
    if batch is None:
        raise NotFound("IMPORT_NOT_FOUND", f"no import {batch_id}")
    kept = repo.batch_issue_counts(session, batch_id)

    def first(severity: str) -> list[ImportIssueRead]:
        return [ImportIssueRead(index=i.index, code=i.code, message=i.message)
                for i in repo.batch_issues(session, batch_id, severity, REPORT_ISSUES)]

    stop = None
    if batch.stop_code is not None:
        stop = ImportStopRead(index=batch.stop_index or 0, code=batch.stop_code, message=batch.stop_message or "")
    errors_kept, warnings_kept = kept.get("error", 0), kept.get("warning", 0)
    return ImportBatchRead(
        batch_id=batch.id, filename=batch.filename, format=batch.format, encoding=batch.encoding,
        unit=batch.unit_code, started_at=batch.started_at, finished_at=batch.finished_at,
        created_by=batch.created_by, read=batch.read, imported=batch.imported, merged=batch.merged,
        rejected=batch.rejected, warned=batch.warned, items_created=batch.items_created,
        errors=first("error"), warnings=first("warning"), errors_kept=errors_kept, warnings_kept=warnings_kept,
        errors_truncated=batch.rejected > errors_kept, warnings_truncated=batch.warned > warnings_kept, stop=stop,
    )


@router.get("/imports/{batch_id}/issues", response_model=ImportIssuePage)
def import_issues(
    batch_id: Id,
    session: ReadSession,
    _: StaffReader,
    severity: Annotated[Literal["error", "warning"], Query(description="error: rejected records")] = "error",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> ImportIssuePage:
    """The rejected records (or warnings) kept for an import, in file order, a page at a time."""
    if repo.get_batch(session, batch_id) is None:
        raise NotFound("IMPORT_NOT_FOUND", f"no import {batch_id}")
    total = repo.batch_issue_counts(session, batch_id).get(severity, 0)
    issues = repo.batch_issues(session, batch_id, severity, limit, offset)
    return ImportIssuePage(
        batch_id=batch_id, severity=severity, total=total, limit=limit, offset=offset,
        issues=[ImportIssueRead(index=i.index, code=i.code, message=i.message) for i in issues],
    )


@router.get("/records", response_model=RecordPage)
def list_records(
    session: ReadSession,
    _: Public,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> RecordPage:
    """Records in the order they were catalogued (public, for the OPAC)."""
    total, rows = repo.page_records(session, limit, offset)
    counts = repo.item_counts(session, [r.id for r in rows])
    return RecordPage(total=total, limit=limit, offset=offset, records=[
        RecordSummary(id=r.id, flavour=r.flavour, version=r.version, title=r.title,  # type: ignore[arg-type]
                      responsibility=r.responsibility, isbn=r.isbn, publisher=r.publisher, year=r.year,
                      clc=r.clc, copies=counts.get(r.id, 0))
        for r in rows
    ])


# MARC-in-JSON as pymarc writes it: {"leader": ..., "fields": [{"001": ...}, {"245": {ind1, ind2, subfields}}]}.
MARC_IN_JSON = {"type": "object", "required": ["leader", "fields"],
                "properties": {"leader": {"type": "string"}, "fields": {"type": "array", "items": {"type": "object"}}}}
MARC_CONTENT = {
    "application/marc": {"schema": {"type": "string", "format": "binary"}},
    "application/marcxml+xml": {"schema": {"type": "string"}},
}


@router.get("/records/export", response_class=StreamingResponse, responses={200: {
    "description": "The catalogue in the format asked: ISO 2709, MARCXML or a JSON array of MARC-in-JSON records",
    "content": {**MARC_CONTENT, "application/json": {"schema": {"type": "array", "items": MARC_IN_JSON}}},
}})
def export_records(
    db: Annotated[Database, Depends(database)],
    _: StaffReader,
    format: Annotated[ExportFormat, Query(description="iso2709, marcxml (own flavour), marc21xml (CNMARC crosswalked), json")] = "iso2709",
) -> StreamingResponse:
    """Every record of the catalogue, streamed, as UTF-8 with the encoding marks set."""
    media, suffix = export.MEDIA_TYPES[format]

    def body() -> Iterator[bytes]:
        # The stream outlives the endpoint (and its request session, which ends before the
        # answer is sent), so it reads in a session of its own, closed when the stream ends.
        with db.session(write=False) as session:
            yield from export.stream(session, format)

    return StreamingResponse(
        body(), media_type=media,
        headers={"Content-Disposition": f'attachment; filename="catalogue.{suffix}"'},
    )


@router.get(
    "/records/{record_id}",
    # The answer's schema depends on ``format`` and is documented whole below (a response_model
    # would be merged into it and claim every JSON answer is a RecordRead).
    response_model=None,
    responses={200: {
        "description": "Without `format` the record's fields (RecordRead); with `format=json` a JSON array holding "
                       "the record as MARC-in-JSON; with iso2709, marcxml or marc21xml the MARC itself",
        "content": {**MARC_CONTENT, "application/json": {"schema": {"anyOf": [
            {"$ref": "#/components/schemas/RecordRead"},
            {"type": "array", "items": MARC_IN_JSON, "minItems": 1, "maxItems": 1}]}}},
    }},
)
def get_record(
    record_id: Id,
    session: ReadSession,
    response: Response,
    _: Public,
    format: Annotated[ExportFormat | None, Query(description="Return the MARC instead of the fields")] = None,
) -> RecordRead | Response:
    """A record's fields and its copies by unit (public). With ``format`` the MARC itself:
    iso2709 or marcxml in the record's own flavour, marc21xml crosswalked to MARC21, or json."""
    record = records.get_record(session, record_id)
    if format is not None:
        media, _suffix = export.MEDIA_TYPES[format]
        return Response(export.one(record, format), media_type=media, headers={"ETag": records.etag(record)})
    response.headers["ETag"] = records.etag(record)
    return records.read_record(session, record)


@router.get("/records/{record_id}/versions", response_model=list[RecordVersionRead])
def record_versions(record_id: Id, session: ReadSession, _: StaffReader) -> list[RecordVersionRead]:
    """Every version of a record with who changed it and when."""
    return records.versions(session, records.get_record(session, record_id))


@router.get("/records/{record_id}/sources", response_model=list[RecordSourceRead])
def record_sources(record_id: Id, session: ReadSession, _: StaffReader) -> list[RecordSourceRead]:
    """Every import that created this record or merged into it (统一编目: where the data came from)."""
    records.get_record(session, record_id)
    return [
        RecordSourceRead(batch_id=s.batch_id, filename=b.filename if b else None, index=s.index,
                         control_number=s.control_number, merged=s.merged, imported_at=b.started_at if b else None)
        for s, b in repo.sources(session, record_id)
    ]


@router.post("/records", response_model=RecordRead, status_code=201)
def create_record(
    body: RecordCreate, session: WriteSession, now: Now, principal: Cataloguer, response: Response
) -> RecordRead:
    """Catalogue a new record from MARC-in-JSON. 409 RECORD_ISBN_TAKEN if its ISBN is already catalogued."""
    record = records.create_record(session, body.flavour, body.marc, principal.label, now)
    response.headers["ETag"] = records.etag(record)
    response.headers["Location"] = f"/api/v1/records/{record.id}"
    return records.read_record(session, record)


@router.put("/records/{record_id}", response_model=RecordRead, responses={
    412: {"description": "RECORD_VERSION_STALE: the record changed since the ETag sent (current_version says to what)"},
    428: {"description": "RECORD_IF_MATCH_REQUIRED: send If-Match with the ETag of the GET you edited"},
})
def update_record(
    record_id: Id,
    body: RecordUpdate,
    session: WriteSession,
    now: Now,
    principal: Cataloguer,
    response: Response,
    if_match: Annotated[str | None, Header(description="The ETag from the GET you edited")] = None,
) -> RecordRead:
    """Replace a record's MARC. Needs If-Match: a stale ETag gets 412 RECORD_VERSION_STALE,
    so nobody silently overwrites a colleague's edit; none gets 428."""
    expected = records.parse_if_match(if_match)
    record = records.update_record(session, record_id, expected, body.marc, principal.label, now)
    response.headers["ETag"] = records.etag(record)
    return records.read_record(session, record)


@router.post("/items", response_model=ItemRead, status_code=201)
def create_item(body: ItemCreate, session: WriteSession, now: Now, principal: ItemCreator) -> ItemRead:
    """Add a copy. A unit librarian may only add copies owned by a unit they serve."""
    return items.read_item(session, items.create_item(session, body, now, principal))


@router.patch("/items/{barcode}", response_model=ItemRead)
def update_item(barcode: str, body: ItemUpdate, session: WriteSession, now: Now, principal: ItemWriter) -> ItemRead:
    """Mark a copy damaged, missing, withdrawn, in processing or available again (staff of its
    owning or current unit). A copy on loan, lost or claimed returned on a reader's record, in
    transit or on a hold shelf is refused with 409 and a code that names the circulation step
    to take instead (ITEM_ON_LOAN_CHECK_IN_FIRST, ITEM_IN_TRANSIT_RECEIVE_FIRST, …); nothing
    changes. Holds pointed at a copy taken off the shelf look for another copy."""
    item = items.get_item(session, barcode)
    gate.check(session, principal, "item.write", owner=item.owning_unit_id, here=item.current_unit_id)
    return items.read_item(session, items.set_status(session, barcode, body.status, now, principal.label))


@router.get("/items/{barcode}", response_model=ItemRead)
def get_item(barcode: str, session: ReadSession, _: StaffReader) -> ItemRead:
    """A copy by barcode."""
    return items.read_item(session, items.get_item(session, barcode))
