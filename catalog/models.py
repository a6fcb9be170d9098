"""Tables of the union catalogue: records (MARC + extracted columns), their versions and
sources, import batches, and items (copies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ils.db import Base, UTCDateTime

FLAVOURS = ("marc21", "cnmarc")
ITEM_TYPES = ("book", "periodical", "children", "large_print", "braille", "audio", "local_doc", "rare_book")
# Circulation and logistics drive the later states through their own state machines; the
# catalogue only creates items (available, or processing while being catalogued).
ITEM_STATUSES = (
    "processing", "available", "on_loan", "in_transit", "on_hold_shelf", "lost", "missing", "damaged",
    "withdrawn",
)


class Record(Base):
    """One bibliographic record per manifestation for the whole network."""

    __tablename__ = "record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavour: Mapped[str] = mapped_column(String(10))
    # The source of truth: MARC-in-JSON ({"leader", "fields"}), in the record's own flavour.
    marc: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # How the current version came about: import | create | edit (earlier versions are rows
    # of record_version).
    change: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    responsibility: Mapped[str | None] = mapped_column(Text, nullable=True)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    isbn: Mapped[str | None] = mapped_column(String(13), nullable=True, index=True)
    publisher: Mapped[str | None] = mapped_column(String(500), nullable=True)
    place: Mapped[str | None] = mapped_column(String(200), nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    language: Mapped[str | None] = mapped_column(String(3), nullable=True)
    edition: Mapped[str | None] = mapped_column(String(200), nullable=True)
    series: Mapped[str | None] = mapped_column(String(500), nullable=True)
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    clc: Mapped[str | None] = mapped_column(String(60), nullable=True, index=True)
    call_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    title_pinyin: Mapped[str | None] = mapped_column(Text, nullable=True)
    author_pinyin: Mapped[str | None] = mapped_column(Text, nullable=True)
    price_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Title + responsibility + edition + year, normalised: the duplicate key when there is no ISBN.
    match_key: Mapped[str] = mapped_column(String(700), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("flavour IN ('marc21', 'cnmarc')", name="flavour"),)


class RecordIsbn(Base):
    """Every ISBN-13 a record carries. Unique: one ISBN belongs to one record of the network,
    which is what makes concurrent imports of the same book merge instead of duplicating."""

    __tablename__ = "record_isbn"

    isbn: Mapped[str] = mapped_column(String(13), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)


class RecordVersion(Base):
    """An earlier state of a record, with who made it and when: written when an edit replaces
    it. The current state is the record row itself, so an import writes each MARC only once."""

    __tablename__ = "record_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    marc: Mapped[dict[str, Any]] = mapped_column(JSON)
    change: Mapped[str] = mapped_column(String(20))  # create | import | edit
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("record_id", "version"),)


class ImportBatch(Base):
    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(500))
    format: Mapped[str | None] = mapped_column(String(20), nullable=True)
    flavour: Mapped[str | None] = mapped_column(String(10), nullable=True)
    encoding: Mapped[str | None] = mapped_column(String(20), nullable=True)
    unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    read: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)  # every rejected record, kept or not
    items_created: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(100))
    # Every warning, kept or not: only the first ILS_IMPORT_MAX_ISSUES of each severity are rows.
    warned: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Why the import stopped before the end of the file (IMPORT_NOT_MARC), at which record.
    stop_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stop_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    stop_message: Mapped[str | None] = mapped_column(Text, nullable=True)


class ImportIssue(Base):
    """A rejected record (severity error) or a part of a record that was skipped (warning)."""

    __tablename__ = "import_issue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(Text)


class RecordSource(Base):
    """Where a record's data came from: each import that created or merged into it."""

    __tablename__ = "record_source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"), nullable=True)
    index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    control_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    merged: Mapped[bool] = mapped_column(default=False)
    # The incoming MARC of a record that was merged into an existing one: the master record
    # stays as it is, and nothing the source said is lost.
    marc: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Item(Base):
    """A copy: network-unique barcode, owning unit, current unit, call number (索书号)."""

    __tablename__ = "item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    barcode: Mapped[str] = mapped_column(String(50), unique=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), index=True)
    owning_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    current_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    call_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Sorts the way Chinese shelves do (TP311 < TP32); see catalog.marc.callnumber.
    call_number_sort: Mapped[str | None] = mapped_column(String(200), nullable=True)
    item_type: Mapped[str] = mapped_column(String(20))
    price_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it joined the holdings
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When it left the holdings and from which status (lost, missing, damaged …): holdings at a
    # past date and the asset report's disposals are counted from these.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_from: Mapped[str | None] = mapped_column(String(20), nullable=True)

    __table_args__ = (
        CheckConstraint(
            "item_type IN ('book', 'periodical', 'children', 'large_print', 'braille', 'audio', "
            "'local_doc', 'rare_book')",
            name="item_type",
        ),
        CheckConstraint(
            "status IN ('processing', 'available', 'on_loan', 'in_transit', 'on_hold_shelf', 'lost', "
            "'missing', 'damaged', 'withdrawn')",
            name="status",
        ),
        CheckConstraint("price_fen IS NULL OR price_fen >= 0", name="price_fen"),
        Index("ix_item_unit_callno", "owning_unit_id", "call_number_sort"),
    )
