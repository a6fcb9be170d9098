"""Importing MARC files into the union catalogue (统一编目).

A file is read record by record (catalog.marc streams it, so memory stays flat) and written
in batches. Each batch is one transaction; a file is many. That is deliberate: a vendor file
of 100,000 records must not hold one transaction open for minutes, and because an import
merges instead of duplicating, re-running a file after a crash finishes the job with nothing
counted twice.

De-duplication: an incoming record joins an existing one when they share a normalised
ISBN-13; failing that, when their title + responsibility + edition + year keys agree and at
least one side has no ISBN (two different ISBNs mean two manifestations, e.g. paperback and
hardback). The existing record stays the master; the incoming one adds its ISBNs, a source
row and its holdings (items), so every source's copies are kept.

The report stays small whatever the file. Every rejected record and every warning is counted
(``rejected``, ``warned``), but only the first ``max_issues`` of each (ILS_IMPORT_MAX_ISSUES,
1,000 by default) are kept with their position and reason; ``errors_truncated`` and
``warnings_truncated`` say when the lists stop short of the counts. A vendor file with a few
broken records among good ones imports the good ones and lists the broken ones, as before.

A file that is not MARC at all stops early with one reason. The first ``judge_after`` records
(100) are read before anything is written; when fewer than ``min_readable_share`` of them
(one in ten) could be taken apart as MARC (a leader, a directory and fields; a record whose
only fault is its character set counts as MARC), the import stops with IMPORT_NOT_MARC
(``ImportNotMarc``) and writes no record, copy or outbox message: only the batch row, so the
refusal and the first rejections can be read again at GET /imports/{id}. A file shorter than
``judge_after`` records is never stopped. Once a file has passed that judgement it is read to
its end, batch by batch: stopping later would leave half a file imported, and with the caps a
garbage tail costs time, not memory.
"""

from __future__ import annotations

from collections.abc import Callable
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog import repository as repo
from catalog.events import records_changed
from catalog.marc import codes as marc_codes
from catalog.marc import (
    Extracted,
    ExtractError,
    MarcFile,
    MarcFileError,
    ReadRecord,
    RejectedRecord,
    call_number_sort_key,
    extract,
    match_key,
    to_json,
)
from catalog.models import (
    ITEM_TYPES,
    ImportBatch,
    ImportIssue,
    Item,
    RecordIsbn,
    RecordSource,
)
from ils.clock import Clock, get_clock
from ils.config import get_settings
from ils.db import Database, lock_keys, refresh_statistics
from ils.network import repository as units_repo

BATCH_SIZE = 500
STATISTICS_TABLES = ("record", "record_isbn", "record_source", "item")
# A batch that collides with a concurrent import (same ISBN or barcode committed meanwhile)
# is rolled back and redone; the second pass sees the other import's rows and merges.
MAX_BATCH_ATTEMPTS = 5
# Whether a file is MARC at all is judged on its first records, before anything is written.
JUDGE_AFTER = 100
MIN_READABLE_SHARE = 0.1
IMPORT_NOT_MARC = "IMPORT_NOT_MARC"
# A record the reader took apart but could not decode is MARC in the wrong character set, not
# garbage: it is rejected, but does not count against the file.
_STILL_MARC = frozenset({marc_codes.MARC_ENCODING_INVALID})


@dataclass
class ImportOptions:
    flavour: str | None = None
    encoding: str | None = None
    unit_code: str | None = None  # owning unit for holdings that name none
    filename: str = ""
    actor: str = "system"
    batch_size: int = BATCH_SIZE
    max_issues: int | None = None  # rejections (and, apart, warnings) kept; None: ILS_IMPORT_MAX_ISSUES
    judge_after: int = JUDGE_AFTER
    min_readable_share: float = MIN_READABLE_SHARE  # 0 never stops a file


@dataclass
class Issue:
    index: int
    code: str
    message: str


@dataclass
class ImportResult:
    batch_id: int
    filename: str
    format: str | None
    encoding: str | None
    read: int = 0
    imported: int = 0
    merged: int = 0
    rejected: int = 0  # every rejected record
    warned: int = 0  # every warning
    items_created: int = 0
    record_ids: list[int] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)  # the first max_issues rejections
    warnings: list[Issue] = field(default_factory=list)  # the first max_issues warnings
    stop: Issue | None = None  # why the import stopped early (then nothing was written)

    @property
    def errors_truncated(self) -> bool:
        return self.rejected > len(self.errors)

    @property
    def warnings_truncated(self) -> bool:
        return self.warned > len(self.warnings)


class ImportNotMarc(MarcFileError):
    """The first records of the file are mostly not MARC: the import stopped and wrote nothing
    but its batch row (``result.batch_id``), which keeps the reason and the first rejections."""

    def __init__(self, result: ImportResult):
        assert result.stop is not None
        super().__init__(IMPORT_NOT_MARC, result.stop.message)
        self.result = result
        self.extra = {"batch_id": result.batch_id}


@dataclass
class _Verdict:
    """Counts what the reader could take apart among the first records of a file."""

    after: int
    share: float
    seen: int = 0
    readable: int = 0
    unreadable: Counter[str] = field(default_factory=Counter)

    def see(self, entry: ReadRecord | RejectedRecord) -> None:
        self.seen += 1
        if isinstance(entry, RejectedRecord) and entry.code not in _STILL_MARC:
            self.unreadable[entry.code] += 1
        else:
            self.readable += 1

    @property
    def due(self) -> bool:
        return self.seen >= self.after

    @property
    def not_marc(self) -> bool:
        return self.readable < self.share * self.seen

    def reason(self, filename: str) -> str:
        seen = ", ".join(f"{code} ×{n}" for code, n in self.unreadable.most_common(3))
        label = f" {filename}" if filename else ""
        return (
            f"The file{label} is not MARC, or is damaged beyond use: of its first {self.seen} records only "
            f"{self.readable} could be read ({seen}). The import stopped there and nothing was imported."
        )


@dataclass
class _Prepared:
    index: int
    flavour: str
    marc: dict[str, Any]
    data: Extracted
    key: str


Progress = Callable[[int, int | None], None]


def prepare_process_for_bulk_import() -> None:
    """For a process that is about to import large files (the CLI, the benchmark).

    Loads pypinyin's dictionaries now rather than inside the first batch, then moves every
    object alive so far out of the garbage collector's sight (gc.freeze): those dictionaries
    are hundreds of thousands of long-lived objects that each full collection would otherwise
    walk again, which cost about a fifth of an import's time.
    """
    import gc

    from catalog.marc.extract import compute_pinyin

    compute_pinyin("中文")
    gc.collect()
    gc.freeze()


def import_marc(
    database: Database,
    stream: BinaryIO,
    options: ImportOptions,
    *,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one file and return its report.

    Raises MarcFileError when the file cannot be read at all (nothing is written), and its
    subclass ImportNotMarc when its first records show it is not MARC (nothing is written but
    the batch row with the reason); see the module docstring for the limits of the report.
    """
    clock = clock or get_clock()
    cap = options.max_issues if options.max_issues is not None else get_settings().import_max_issues
    marc_file = MarcFile(stream, flavour=options.flavour, encoding=options.encoding, name=options.filename)  # type: ignore[arg-type]

    with database.session(write=True) as session:
        if options.unit_code and units_repo.get_by_code(session, options.unit_code) is None:
            from ils.errors import NotFound

            raise NotFound("UNIT_NOT_FOUND", f"no unit with code {options.unit_code!r}")
        batch = ImportBatch(
            filename=options.filename[:500], format=None, flavour=options.flavour, encoding=options.encoding,
            unit_code=options.unit_code, started_at=clock.now(), created_by=options.actor,
        )
        session.add(batch)
        session.flush()
        batch_id = batch.id
        units = units_repo.id_by_code(session)

    result = ImportResult(batch_id=batch_id, filename=options.filename, format=None, encoding=None)
    pending: list[_Prepared] = []
    seen_ids: set[int] = set()

    analysed_at = 0

    def flush_pending() -> None:
        nonlocal analysed_at
        if not pending:
            return
        # Before the verdict more than a batch may wait; it is still written batch by batch.
        for start in range(0, len(pending), options.batch_size):
            chunk = pending[start : start + options.batch_size]
            _write_batch(database, chunk, batch_id, units, options, clock, result, seen_ids, cap)
        pending.clear()
        # Statistics as the tables grow (at 1k, 2k, 4k, ... records of this import).
        if result.imported + result.merged >= max(1000, 2 * analysed_at):
            analysed_at = result.imported + result.merged
            refresh_statistics(database, STATISTICS_TABLES)

    verdict: _Verdict | None = _Verdict(options.judge_after, options.min_readable_share)
    for entry in marc_file:
        result.read += 1
        if isinstance(entry, RejectedRecord):
            _reject(result, Issue(entry.index, entry.code, entry.message), cap)
        else:
            prepared = _prepare(entry)
            if isinstance(prepared, Issue):
                _reject(result, prepared, cap)
            else:
                pending.append(prepared)
        if verdict is not None:
            # Nothing is written until the file has shown it is MARC.
            verdict.see(entry)
            if not verdict.due:
                continue
            if verdict.not_marc:
                result.stop = Issue(entry.index, IMPORT_NOT_MARC, verdict.reason(options.filename))
                pending.clear()
                break
            verdict = None
        if len(pending) >= options.batch_size:
            flush_pending()
            if progress:
                progress(result.read, _tell(stream))
    flush_pending()
    if progress:
        progress(result.read, _tell(stream))

    result.format = marc_file.format
    result.encoding = marc_file.encoding
    with database.session(write=True) as session:
        batch = session.get(ImportBatch, batch_id)
        assert batch is not None
        batch.format, batch.encoding = result.format, result.encoding
        batch.read, batch.imported, batch.merged = result.read, result.imported, result.merged
        batch.rejected, batch.items_created = result.rejected, result.items_created
        batch.warned = result.warned
        if result.stop is not None:
            batch.stop_index, batch.stop_code, batch.stop_message = result.stop.index, result.stop.code, result.stop.message
        batch.finished_at = clock.now()
        repo.insert_many(session, ImportIssue, [
            {"batch_id": batch_id, "index": i.index, "severity": sev, "code": i.code, "message": i.message[:4000]}
            for sev, issues in (("error", result.errors), ("warning", result.warnings))
            for i in issues
        ])
    if result.stop is not None:
        raise ImportNotMarc(result)
    return result


def _reject(result: ImportResult, issue: Issue, cap: int) -> None:
    result.rejected += 1
    if len(result.errors) < cap:
        result.errors.append(issue)


def _tell(stream: BinaryIO) -> int | None:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return None


def _prepare(entry: ReadRecord) -> _Prepared | Issue:
    """The record ready to write, or why it cannot be catalogued (e.g. it has no title)."""
    try:
        data = extract(entry.record, entry.flavour)
    except ExtractError as exc:
        return Issue(entry.index, exc.code, exc.message)
    key = match_key(data.title, data.responsibility, data.edition, data.year)
    return _Prepared(entry.index, entry.flavour, to_json(entry.record), data, key)


def record_columns(data: Extracted, flavour: str, marc: dict[str, Any], key: str) -> dict[str, Any]:
    """The extracted columns of a record row (shared by import, create and edit)."""
    return {
        "flavour": flavour,
        "marc": marc,
        "title": data.title,
        "responsibility": data.responsibility,
        "authors": data.authors,
        "isbn": data.isbns[0] if data.isbns else None,
        "publisher": _cut(data.publisher, 500),
        "place": _cut(data.place, 200),
        "year": data.year,
        "language": data.language[:3] if data.language else None,
        "edition": _cut(data.edition, 200),
        "series": _cut(data.series, 500),
        "subjects": data.subjects,
        "clc": _cut(data.clc, 60),
        "call_number": _cut(data.call_number, 100),
        "title_pinyin": data.title_pinyin,
        "author_pinyin": data.author_pinyin,
        "price_fen": data.price_fen,
        "match_key": key[:700],
    }


def _cut(value: str | None, size: int) -> str | None:
    return value[:size] if value else value


def _write_batch(
    database: Database,
    batch: list[_Prepared],
    batch_id: int,
    units: dict[str, int],
    options: ImportOptions,
    clock: Clock,
    result: ImportResult,
    seen_ids: set[int],
    cap: int,
) -> None:
    for attempt in range(1, MAX_BATCH_ATTEMPTS + 1):
        outcome = _BatchOutcome()
        try:
            with database.session(write=True) as session:
                _apply_batch(session, batch, batch_id, units, options, clock.now(), outcome)
        except IntegrityError:
            if attempt == MAX_BATCH_ATTEMPTS:
                raise
            continue
        break
    result.imported += outcome.imported
    result.merged += outcome.merged
    result.items_created += outcome.items_created
    result.warned += len(outcome.warnings)
    result.warnings.extend(outcome.warnings[: max(0, cap - len(result.warnings))])
    for rid in outcome.record_ids:
        if rid not in seen_ids:
            seen_ids.add(rid)
            result.record_ids.append(rid)


@dataclass
class _BatchOutcome:
    imported: int = 0
    merged: int = 0
    items_created: int = 0
    record_ids: list[int] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


def _joinable(candidates: list[tuple[Any, bool]], has_isbn: bool) -> Any:
    """The first same-key record this one may merge with. Two records that both carry ISBNs
    (different ones, or the ISBN lookup would have matched) are different manifestations."""
    return next((ref for ref, other_has_isbn in candidates if not (has_isbn and other_has_isbn)), None)


def _apply_batch(
    session: Session,
    batch: list[_Prepared],
    batch_id: int,
    units: dict[str, int],
    options: ImportOptions,
    now: datetime,
    out: _BatchOutcome,
) -> None:
    # Another import may be writing the same books right now: hold their keys until commit,
    # then look them up, so the second import sees the first one's records and merges.
    lock_keys(session, "record", [*(i for p in batch for i in p.data.isbns), *(p.key for p in batch)])
    by_isbn = repo.record_ids_by_isbn(session, (i for p in batch for i in p.data.isbns))
    by_key = repo.records_by_match_key(session, (p.key for p in batch))

    # Decide, in file order, which incoming record is new and which joins an existing one.
    # ``target`` holds an existing record id, or ("new", n) for the n-th record created here.
    new_rows: list[_Prepared] = []
    targets: list[int | tuple[str, int]] = []
    creates: list[bool] = []
    pending_isbn: dict[str, tuple[str, int]] = {}
    pending_key: dict[str, list[tuple[tuple[str, int], bool]]] = {}
    for p in batch:
        has_isbn = bool(p.data.isbns)
        target = next((t for i in p.data.isbns if (t := by_isbn.get(i) or pending_isbn.get(i)) is not None), None)
        if target is None:
            target = _joinable(by_key.get(p.key, []), has_isbn)
        if target is None:
            target = _joinable(pending_key.get(p.key, []), has_isbn)
        creates.append(target is None)
        if target is None:
            target = ("new", len(new_rows))
            new_rows.append(p)
            pending_key.setdefault(p.key, []).append((target, has_isbn))
        for isbn in p.data.isbns:
            pending_isbn.setdefault(isbn, target)  # type: ignore[arg-type]
        targets.append(target)

    new_ids = repo.insert_records(session, [
        {**record_columns(p.data, p.flavour, p.marc, p.key), "version": 1, "change": "import", "created_at": now,
         "created_by": options.actor, "updated_at": now, "updated_by": options.actor}
        for p in new_rows
    ])
    resolved = [t if isinstance(t, int) else new_ids[t[1]] for t in targets]

    isbn_rows: dict[str, int] = {}
    for p, rid in zip(batch, resolved):
        for isbn in p.data.isbns:
            if isbn not in by_isbn and isbn not in isbn_rows:
                isbn_rows[isbn] = rid
    repo.insert_many(session, RecordIsbn, [{"isbn": i, "record_id": r} for i, r in isbn_rows.items()])
    # A record catalogued without an ISBN that gains one from a merged source shows it too.
    new_set = set(new_ids)
    gained = {rid: isbn for isbn, rid in reversed(isbn_rows.items()) if rid not in new_set}
    repo.set_missing_isbn(session, gained)
    repo.insert_many(session, RecordSource, [
        {"record_id": rid, "batch_id": batch_id, "index": p.index, "control_number": p.data.control_number,
         "merged": not created, "marc": None if created else p.marc}
        for p, rid, created in zip(batch, resolved, creates)
    ])

    items, holdings_changed = _items_for(session, batch, resolved, units, options, now, out)
    repo.insert_many(session, Item, items)

    # One outbox message per batch, not per record: its consumers (the search index) work on
    # batches anyway, and a 100,000-record import stays 200 messages.
    holdings_only = sorted(holdings_changed - set(new_ids))
    if new_ids or holdings_only:
        records_changed(session, f"import:{batch_id}", now, created=new_ids, holdings=holdings_only)

    out.imported += len(new_ids)
    out.merged += len(batch) - len(new_ids)
    out.items_created += len(items)
    out.record_ids.extend(resolved)


class _Warnings:
    """One warning per record and problem: a foreign file's 20 copies at an unknown unit are
    one fact for the cataloguer, not twenty."""

    def __init__(self, into: list[Issue], index: int):
        self.into, self.index, self.reported = into, index, set[tuple[str, str]]()

    def __call__(self, code: str, about: str, message: str) -> None:
        if (code, about) not in self.reported:
            self.reported.add((code, about))
            self.into.append(Issue(self.index, code, message))


def _items_for(
    session: Session,
    batch: list[_Prepared],
    resolved: list[int],
    units: dict[str, int],
    options: ImportOptions,
    now: datetime,
    out: _BatchOutcome,
) -> tuple[list[dict[str, Any]], set[int]]:
    existing = repo.items_by_barcode(session, (h.barcode for p in batch for h in p.data.holdings if h.barcode))
    rows: list[dict[str, Any]] = []
    taken: dict[str, int] = {}  # barcodes created in this batch → their record
    changed: set[int] = set()
    for p, rid in zip(batch, resolved):
        warn = _Warnings(out.warnings, p.index)
        for h in p.data.holdings:
            unit_code = h.unit_code or options.unit_code
            if not h.barcode:
                # A holding with neither barcode nor unit is a location note, not a copy.
                if unit_code and unit_code in units:
                    warn("ITEM_BARCODE_MISSING", unit_code, f"a copy at {unit_code} has no barcode; not created")
                continue
            if h.barcode in existing or h.barcode in taken:
                owner = existing.get(h.barcode, taken.get(h.barcode))
                if owner is not None and owner != rid:
                    warn("ITEM_BARCODE_TAKEN", h.barcode,
                         f"barcode {h.barcode} already belongs to a copy of record {owner}; no copy created")
                # Same barcode on the same record: this copy was imported before (re-run).
                continue
            if not unit_code:
                warn("ITEM_UNIT_MISSING", "", f"copy {h.barcode} names no unit; give a default unit to import it")
                continue
            owning = units.get(unit_code)
            if owning is None:
                warn("ITEM_UNIT_UNKNOWN", unit_code, f"copies at unknown unit {unit_code!r} were not created")
                continue
            current = units.get(h.current_unit_code or "", owning)
            call_number = h.call_number or p.data.call_number
            item_type = h.item_type if h.item_type in ITEM_TYPES else "book"
            taken[h.barcode] = rid
            changed.add(rid)
            rows.append({
                "barcode": h.barcode[:50], "record_id": rid, "owning_unit_id": owning, "current_unit_id": current,
                "call_number": call_number[:100] if call_number else None,
                "call_number_sort": call_number_sort_key(call_number)[:200] if call_number else None,
                "item_type": item_type, "price_fen": h.price_fen if h.price_fen is not None else p.data.price_fen,
                "status": "available", "version": 1, "created_at": now, "updated_at": now,
            })
    return rows, changed
