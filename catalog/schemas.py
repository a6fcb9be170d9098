from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ils.validation import Count, Id

Flavour = Literal["marc21", "cnmarc"]
ItemType = Literal["book", "periodical", "children", "large_print", "braille", "audio", "local_doc", "rare_book"]

MARC_JSON_EXAMPLE = {
    "leader": "00000nam0 2200000   450 ",
    "fields": [
        {"001": "DEMO000001"},
        {"010": {"ind1": " ", "ind2": " ", "subfields": [{"a": "978-7-02-000220-7"}, {"d": "CNY59.70"}]}},
        {"200": {"ind1": "1", "ind2": " ", "subfields": [{"a": "红楼梦"}, {"f": "曹雪芹著"}]}},
        {"210": {"ind1": " ", "ind2": " ", "subfields": [{"a": "北京"}, {"c": "人民文学出版社"}, {"d": "1996"}]}},
        {"690": {"ind1": " ", "ind2": " ", "subfields": [{"a": "I242.4"}, {"v": "5"}]}},
    ],
}


class ImportIssueRead(BaseModel):
    index: int = Field(description="1-based position of the record in the file")
    code: str = Field(examples=["MARC_DIRECTORY_INVALID"])
    message: str


class _ImportReport(BaseModel):
    """What every import report says; the lists are short whatever the file."""

    batch_id: int
    filename: str
    format: str | None = Field(examples=["iso2709"])
    encoding: str | None = Field(examples=["gb18030"])
    read: int
    imported: int = Field(description="New records created")
    merged: int = Field(description="Records that joined an existing record (same ISBN, or same title/author/edition/year)")
    rejected: int = Field(description="Every rejected record, counted, whether it is listed or not")
    warned: int = Field(description="Every warning, counted, whether it is listed or not")
    items_created: int
    errors: list[ImportIssueRead] = Field(
        description="The first rejected records with their position, code and reason (at most 100 here; "
                    "page the rest that are kept at GET /api/v1/imports/{batch_id}/issues?severity=error)")
    warnings: list[ImportIssueRead] = Field(
        description="The first parts of accepted records that were skipped, e.g. a copy at an unknown unit "
                    "(at most 100 here; the rest that are kept at .../issues?severity=warning)")
    errors_kept: int = Field(description="Rejections kept with their position: the first ILS_IMPORT_MAX_ISSUES")
    warnings_kept: int = Field(description="Warnings kept with their position: the first ILS_IMPORT_MAX_ISSUES")
    errors_truncated: bool = Field(description="More records were rejected than are kept: the rest were only counted")
    warnings_truncated: bool = Field(description="More warnings were raised than are kept: the rest were only counted")


class ImportResultRead(_ImportReport):
    record_ids: list[int]


class ImportStopRead(BaseModel):
    """Why an import stopped before the end of its file; it then wrote no record."""

    index: int = Field(description="Position of the last record read")
    code: str = Field(examples=["IMPORT_NOT_MARC"])
    message: str


class ImportBatchRead(_ImportReport):
    """The report of an earlier import, kept so it can be read again later."""

    unit: str | None
    started_at: datetime
    finished_at: datetime | None
    created_by: str
    stop: ImportStopRead | None = Field(description="Set when the import stopped early (IMPORT_NOT_MARC)")


class ImportIssuePage(BaseModel):
    """One page of the rejections or warnings kept for an import, in file order."""

    batch_id: int
    severity: Literal["error", "warning"]
    total: int = Field(description="Issues of this severity kept for the import (see errors_kept, warnings_kept)")
    limit: int
    offset: int
    issues: list[ImportIssueRead]


class RecordSourceRead(BaseModel):
    batch_id: int | None
    filename: str | None
    index: int | None = Field(description="Position of the record in that file")
    control_number: str | None = Field(description="The source's own 001")
    merged: bool = Field(description="True when the source's record was merged into this one")
    imported_at: datetime | None


class ItemBrief(BaseModel):
    barcode: str
    call_number: str | None
    item_type: str
    status: str
    current_unit: str
    price_fen: int | None


class HoldingRead(BaseModel):
    unit: str = Field(examples=["DC-TD"])
    unit_name: str
    copies: int
    available: int
    items: list[ItemBrief]


class RecordRead(BaseModel):
    id: int
    flavour: Flavour
    version: int
    title: str
    responsibility: str | None
    authors: list[str]
    isbns: list[str]
    publisher: str | None
    place: str | None
    year: int | None
    language: str | None
    edition: str | None
    series: str | None
    subjects: list[str]
    clc: str | None = Field(description="中图法 class")
    call_number: str | None
    title_pinyin: str | None
    author_pinyin: str | None
    price_fen: int | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    holdings: list[HoldingRead] = []


class RecordSummary(BaseModel):
    id: int
    flavour: Flavour
    version: int
    title: str
    responsibility: str | None
    isbn: str | None
    publisher: str | None
    year: int | None
    clc: str | None
    copies: int


class RecordPage(BaseModel):
    total: int
    limit: int
    offset: int
    records: list[RecordSummary]


class RecordCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flavour: Flavour
    marc: dict[str, Any] = Field(description="MARC-in-JSON: {leader, fields}", examples=[MARC_JSON_EXAMPLE])


class RecordUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    marc: dict[str, Any] = Field(description="The whole record as MARC-in-JSON", examples=[MARC_JSON_EXAMPLE])


class RecordVersionRead(BaseModel):
    version: int
    change: str
    changed_by: str
    changed_at: datetime


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    barcode: str = Field(pattern=r"^[A-Za-z0-9-]{1,50}$", examples=["0100009999"])
    record_id: Id
    unit: str = Field(description="Owning unit code", examples=["DC-TD"])
    current_unit: str | None = Field(default=None, description="Where the copy is now; default: the owning unit")
    call_number: str | None = Field(default=None, examples=["I247.5/12"])
    item_type: ItemType = "book"
    price_fen: Count | None = Field(default=None, examples=[3980])
    status: Literal["available", "processing"] = "available"


class ItemUpdate(BaseModel):
    """What staff set by hand. Loans, transits and the hold shelf set the other states."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["available", "processing", "damaged", "missing", "withdrawn"]


class ItemRead(BaseModel):
    barcode: str
    record_id: int
    title: str
    owning_unit: str
    current_unit: str
    call_number: str | None
    item_type: str
    price_fen: int | None
    status: str
    created_at: datetime
