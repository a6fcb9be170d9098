"""Read MARC files (ISO 2709 or MARCXML; MARC21 or CNMARC/UNIMARC) one record at a time.

Files come from vendors and other libraries and are often slightly wrong: record lengths
counted in characters instead of bytes, CRLF between records, leaders that say MARC-8 over
UTF-8 data, GBK exports with nothing saying so. The reader therefore:

* splits ISO 2709 on the record terminator (0x1D) instead of trusting leader lengths, and
  decodes every record on its own, so one broken record never takes its neighbours down; a
  piece of more than ``MAX_RECORD_BYTES`` without a terminator is rejected and skipped rather
  than held in memory (MARC_RECORD_TOO_LONG);
* detects the flavour of every record from its fields and the encoding of the file from a
  sample of its first bytes, and records each choice (``MarcFile.encoding``,
  ``ReadRecord.encoding``, ``ReadRecord.warnings``) instead of guessing silently;
* turns every failure into a ``RejectedRecord`` with a stable code (codes.py) and an English
  message a cataloguer can act on. ``MarcFileError`` is raised only when nothing can be read.

Bad bytes policy: a record that does not decode strictly in its encoding (after trying the
other likely one, UTF-8 vs GB18030 or UTF-8 vs MARC-8) is still read when at most
``MAX_BAD_CHARACTERS`` characters are affected: they become U+FFFD (or a space for MARC-8, as
pymarc does) and a warning names the fields. A record with more damage is rejected with
MARC_ENCODING_INVALID, because at that point it is the wrong encoding, not a stray byte.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

import pymarc
from lxml import etree
from pymarc import Field, Indicators, Leader, Subfield
from pymarc.marc8 import MARC8ToUnicode

from catalog.marc import codes
from catalog.marc.errors import MarcFileError

Flavour = Literal["marc21", "cnmarc"]  # cnmarc also covers UNIMARC/RUSMARC
Encoding = Literal["utf-8", "marc-8", "gb18030", "cp1251", "cp866", "latin-1"]

CHUNK_SIZE = 1 << 20
SAMPLE_SIZE = 1 << 16
# ISO 2709 cannot describe a record over 99,999 bytes; ten times that without an end-of-record
# mark is not a record but a file that is something else, and holding it whole would let one
# upload fill the server's memory.
MAX_RECORD_BYTES = 1 << 20
MAX_BAD_CHARACTERS = 4

RECORD_END = 0x1D
FIELD_END = 0x1E
SUBFIELD_MARK = b"\x1f"
# Bytes seen between records in real exports: CRLF, DOS end-of-file, NUL padding, blanks.
_BETWEEN_RECORDS = b" \t\r\n\x00\x1a"

_ENCODING_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "marc8": "marc-8",
    "marc-8": "marc-8",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
    "cp1251": "cp1251",
    "windows-1251": "cp1251",
    "cp866": "cp866",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
}

# Cyrillic letters that look like the Latin leader codes; RUSMARC files typed on a Russian
# keyboard carry them in the leader (e.g. "а" for record type "a").
_LEADER_HOMOGLYPHS = str.maketrans("аеорсхукАВЕКМНОРСТХ", "aeopcxykABEKMHOPCTX")

_HIGH_RUN = re.compile(rb"[\x80-\xff]{4,}")

_UNIMARC_TAGS = ("010", "011", "101", "102", "105", "106", "205", "210", "215", "225",
                 "330", "606", "690", "701", "702", "711", "712", "801", "905")
_MARC21_TAGS = ("008", "020", "022", "040", "050", "082", "100", "260", "264", "300",
                "490", "504", "520", "650", "651", "852")


@dataclass(slots=True)
class ReadRecord:
    """One record read fine (possibly with warnings)."""

    index: int
    offset: int | None
    record: pymarc.Record
    flavour: Flavour
    encoding: str
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RejectedRecord:
    """One record that could not be read; the rest of the file still is."""

    index: int
    offset: int | None
    code: str
    message: str


class _Reject(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def normalise_encoding_name(name: str) -> str:
    """Map user spellings (GBK, utf8, MARC8, windows-1251...) to the reader's names."""
    key = name.strip().lower().replace("_", "-")
    if key not in _ENCODING_ALIASES:
        raise MarcFileError(
            codes.MARC_ENCODING_UNKNOWN,
            f"Unknown character set {name!r}; use one of utf-8, marc-8, gb18030, cp1251, cp866, latin-1.",
        )
    return _ENCODING_ALIASES[key]


def detect_flavour(record: pymarc.Record) -> tuple[Flavour, str | None]:
    """Decide MARC21 vs UNIMARC/CNMARC from field evidence; return (flavour, warning or None).

    The leader is nearly identical in both formats, so the fields decide: 200 (title) and a
    36-character 100 $a mean UNIMARC; 245 and 008 mean MARC21.
    """
    tags = {f.tag for f in record.fields}
    uni = sum(1 for t in _UNIMARC_TAGS if t in tags)
    m21 = sum(1 for t in _MARC21_TAGS if t in tags)
    has200, has245 = "200" in tags, "245" in tags
    uni += 4 * has200
    m21 += 4 * has245
    f100 = record.get("100")
    if f100 is not None and not f100.is_control_field():
        a = f100.get("a") or ""
        if len(a) >= 22 and a[:8].isdigit():
            # UNIMARC 100 $a is fixed-length data starting with an 8-digit date; a
            # MARC21 100 $a is a name, so this is strong evidence either way.
            uni += 3
            m21 -= 1
    if uni > m21:
        flavour: Flavour = "cnmarc"
    elif m21 > uni:
        flavour = "marc21"
    else:
        flavour = "marc21" if str(record.leader)[9:10] == "a" or not tags else "cnmarc"
    if has200 != has245 and min(uni, m21) >= 3:
        return flavour, (
            f"The record mixes MARC21 and UNIMARC fields; read it as {_flavour_name(flavour)} "
            f"because it has a {'200' if has200 else '245'} title field."
        )
    if has200 == has245:
        what = "both a 200 and a 245 field" if has200 else "neither a 200 nor a 245 field"
        return flavour, f"The record has {what}; read it as {_flavour_name(flavour)} from its other fields."
    return flavour, None


def _flavour_name(flavour: str) -> str:
    return "MARC21" if flavour == "marc21" else "CNMARC/UNIMARC"


def _tags_flavour(tags: list[str]) -> Flavour:
    """Cheap flavour guess from directory tags alone, used before the record is decoded."""
    if "200" in tags and "245" not in tags:
        return "cnmarc"
    if "245" in tags and "200" not in tags:
        return "marc21"
    uni = sum(1 for t in _UNIMARC_TAGS if t in tags)
    m21 = sum(1 for t in _MARC21_TAGS if t in tags)
    return "cnmarc" if uni > m21 else "marc21"


def _valid(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _single_byte_cyrillic(sample: bytes) -> str | None:
    """cp1251 or cp866 when the 8-bit bytes look like Cyrillic words, else None.

    Cyrillic text is long runs of high bytes; cp1251 letters sit in 0xC0-0xFF, cp866 ones
    mostly in 0x80-0xAF and 0xE0-0xEF. MARC-8 diacritics are single bytes before a letter,
    so they rarely make runs of four.
    """
    runs = _HIGH_RUN.findall(sample)
    if len(runs) < 3:
        return None
    joined = b"".join(runs)
    upper = sum(1 for b in joined if b >= 0xC0)
    low = sum(1 for b in joined if 0x80 <= b <= 0xAF)
    if upper > 0.7 * len(joined):
        return "cp1251"
    if low > 0.5 * len(joined):
        return "cp866"
    return None


class _Prefixed(io.RawIOBase):
    """A read-only stream that first returns bytes already read (the sniffed head)."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = len(buffer)
        if self._head:
            chunk, self._head = self._head[:n], self._head[n:]
        else:
            chunk = self._rest.read(n)
        buffer[: len(chunk)] = chunk
        return len(chunk)


class MarcFile:
    """Streams records out of a binary file object, flat in memory (never reads the whole file).

    ``flavour`` and ``encoding`` override detection for every record. The stream is read once;
    iterating again works only when the stream is seekable.
    """

    format: Literal["iso2709", "marcxml"]
    encoding: str | None

    def __init__(
        self,
        stream: BinaryIO,
        *,
        flavour: Flavour | None = None,
        encoding: str | None = None,
        name: str = "",
    ):
        self._stream = stream
        self._flavour = flavour
        self._forced_encoding = normalise_encoding_name(encoding) if encoding else None
        self.name = name
        self.encoding_note: str | None = None
        try:
            self._start = stream.tell()
        except (OSError, AttributeError, ValueError):
            self._start = None
        self._head = stream.read(SAMPLE_SIZE)
        self._consumed = False
        body = self._head
        if body.startswith(b"\xef\xbb\xbf"):
            body = body[3:]
        body = body.lstrip(b" \t\r\n\x00\x1a")
        label = f" {name}" if name else ""
        if not body:
            raise MarcFileError(codes.MARC_FILE_EMPTY, f"The file{label} is empty.")
        if body[:1] == b"<" or self._head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            self.format = "marcxml"
            # XML declares its own encoding (UTF-8 by default); records are decoded by lxml.
            self.encoding = self._forced_encoding or "utf-8"
            return
        if not (body[:5].isdigit() or (b"\x1e" in body and b"\x1d" in body)):
            raise MarcFileError(
                codes.MARC_FILE_NOT_MARC,
                f"The file{label} is neither ISO 2709 MARC nor MARCXML (it starts with {body[:20]!r}).",
            )
        self.format = "iso2709"
        if self._forced_encoding:
            self.encoding = self._forced_encoding
        else:
            self.encoding, self.encoding_note = self._sniff_encoding(body)

    # ---------------------------------------------------------------- detection
    def _sniff_encoding(self, body: bytes) -> tuple[str, str | None]:
        """Pick the file's encoding from its first bytes; return (encoding, note)."""
        last = body.rfind(b"\x1d")
        # Cut at a record end so a multibyte character split by the sample edge is not
        # mistaken for invalid data.
        sample = body[: last + 1] if last > 0 else body
        flavour = self._flavour or _tags_flavour(_directory_tags(body))
        leader09 = body[9:10]
        has_esc = b"\x1b" in sample
        if flavour == "marc21":
            if leader09 == b"a":
                return "utf-8", None
            if has_esc:
                return "marc-8", None
            if sample.isascii():
                return "marc-8", None
            if _valid(sample, "utf-8"):
                return "utf-8", "The leader says MARC-8 but the data is valid UTF-8; read as UTF-8."
            cyr = _single_byte_cyrillic(sample)
            if cyr:
                return cyr, f"The data is neither UTF-8 nor MARC-8 and looks like Cyrillic {cyr}; read as {cyr}."
            if len(_HIGH_RUN.findall(sample)) >= 4 and _valid(sample, "gb18030"):
                return "gb18030", "The data is not UTF-8 and reads as Chinese GB18030; read as GB18030."
            return "marc-8", None
        if sample.isascii() or _valid(sample, "utf-8"):
            return "utf-8", None
        if _valid(sample, "gb18030") and len(_HIGH_RUN.findall(sample)) >= 1:
            cyr = _single_byte_cyrillic(sample)
            if cyr is None:
                return "gb18030", "The data is not UTF-8 and reads as GB18030 (GBK); read as GB18030."
        cyr = _single_byte_cyrillic(sample)
        if cyr:
            return cyr, f"The data is neither UTF-8 nor GB18030 and looks like Cyrillic {cyr}; read as {cyr}."
        return "gb18030", "The data is neither UTF-8 nor GB18030; records that do not decode are rejected."

    # ---------------------------------------------------------------- iteration
    def __iter__(self) -> Iterator[ReadRecord | RejectedRecord]:
        if self._consumed:
            if self._start is None:
                raise MarcFileError(codes.MARC_FILE_NOT_MARC, "This stream cannot be read twice.")
            self._stream.seek(self._start)
            self._head = self._stream.read(SAMPLE_SIZE)
        self._consumed = True
        if self.format == "marcxml":
            return self._iter_xml()
        return self._iter_iso()

    def _iter_iso(self) -> Iterator[ReadRecord | RejectedRecord]:
        index = 0
        buf = self._head
        buf_offset = 0
        read = self._stream.read
        skipping = False  # inside an over-long piece already reported: drop bytes up to its end
        while True:
            pos = 0
            find = buf.find
            if skipping:
                end = find(b"\x1d")
                if end < 0:
                    pos = len(buf)
                else:
                    pos, skipping = end + 1, False
            while not skipping:
                end = find(b"\x1d", pos)
                if end < 0:
                    break
                rec = buf[pos : end + 1]
                start = buf_offset + pos
                pos = end + 1
                if rec[0] in _BETWEEN_RECORDS:
                    stripped = rec.lstrip(_BETWEEN_RECORDS)
                    start += len(rec) - len(stripped)
                    rec = stripped
                if len(rec) <= 1:
                    continue  # two terminators in a row: nothing in between
                index += 1
                yield self._decode_iso(rec, index, start)
            more = read(CHUNK_SIZE)
            if not more:
                if skipping:
                    return
                rest = buf[pos:]
                stripped = rest.lstrip(_BETWEEN_RECORDS)
                if stripped.strip(_BETWEEN_RECORDS):
                    index += 1
                    yield RejectedRecord(
                        index,
                        buf_offset + pos + len(rest) - len(stripped),
                        codes.MARC_RECORD_TRUNCATED,
                        f"The file ends in the middle of a record: {len(stripped)} bytes after the "
                        "last record have no end-of-record mark (0x1D).",
                    )
                return
            buf_offset += pos
            buf = buf[pos:]
            if not skipping and len(buf) > MAX_RECORD_BYTES:
                # Padding between records (NULs of a tape block, blank lines) is not a record.
                stripped = buf.lstrip(_BETWEEN_RECORDS)
                buf_offset += len(buf) - len(stripped)
                buf = stripped
            if not skipping and len(buf) > MAX_RECORD_BYTES:
                index += 1
                yield RejectedRecord(
                    index,
                    buf_offset,
                    codes.MARC_RECORD_TOO_LONG,
                    f"More than {MAX_RECORD_BYTES:,} bytes follow without an end-of-record mark (0x1D); an "
                    "ISO 2709 record is at most 99,999 bytes, so this is not a record. Skipped to the next mark.",
                )
                skipping = True
                buf_offset += len(buf)
                buf = b""
            buf = buf + more

    # ---------------------------------------------------------------- ISO 2709 record
    def _decode_iso(self, rec: bytes, index: int, offset: int) -> ReadRecord | RejectedRecord:
        try:
            warnings: list[str] = []
            record, flavour, encoding = self._parse_iso(rec, warnings)
            return ReadRecord(index, offset, record, flavour, encoding, warnings)
        except _Reject as rej:
            return RejectedRecord(index, offset, rej.code, rej.message)

    def _parse_iso(self, rec: bytes, warnings: list[str]) -> tuple[pymarc.Record, Flavour, str]:
        n = len(rec)
        if n < 25:
            raise _Reject(
                codes.MARC_RECORD_TRUNCATED,
                f"The record is only {n} bytes long, too short to hold the 24-byte leader.",
            )
        leader = self._leader(rec[:24], warnings)

        length_text = leader[0:5]
        claimed = int(length_text) if length_text.isdigit() else None
        if claimed is None:
            warnings.append(f"The record length in the leader ({length_text!r}) is not a number; ignored.")

        base = self._base_address(rec, leader, warnings)
        directory = rec[24 : base - 1]
        if len(directory) % 12 or not directory.isascii():
            raise _Reject(
                codes.MARC_DIRECTORY_INVALID,
                f"The record directory ({len(directory)} bytes) is not a series of 12-byte "
                "tag/length/offset entries.",
            )
        entries = []
        for i in range(0, len(directory), 12):
            entry = directory[i : i + 12]
            lengths = entry[3:12]
            if not lengths.isdigit():
                raise _Reject(
                    codes.MARC_DIRECTORY_INVALID,
                    f"Directory entry {i // 12 + 1} ({entry.decode('ascii', 'replace')!r}) has a "
                    "length or position that is not a number.",
                )
            entries.append((entry[0:3].decode("ascii"), int(lengths[:4]), int(lengths[4:])))
        if not entries:
            raise _Reject(codes.MARC_NO_FIELDS, "The record has a leader but no fields.")

        raws = self._field_bytes(rec, base, entries, claimed, warnings)
        tags = [e[0] for e in entries]
        guess = self._flavour or _tags_flavour(tags)
        encoding, retry = self._record_encoding(rec, leader, guess, warnings)

        fields = None
        if encoding == "marc-8":
            if rec.isascii() and b"\x1b" not in rec:
                # Plain ASCII is the same in MARC-8; skip the slow character-by-character converter.
                fields = _fields_codec(tags, raws, "ascii", "strict", warnings)
            else:
                fields = _fields_marc8(tags, raws, warnings)
        else:
            try:
                fields = _fields_codec(tags, raws, _codec(encoding), "strict", warnings)
            except UnicodeDecodeError:
                if retry:
                    try:
                        fields = _fields_codec(tags, raws, _codec(retry), "strict", warnings)
                        warnings.append(
                            f"This record is not valid {encoding} like the rest of the file but is "
                            f"valid {retry}; read as {retry}."
                        )
                        encoding = retry
                    except UnicodeDecodeError:
                        fields = None
                if fields is None:
                    fields = _fields_codec(tags, raws, _codec(encoding), "replace", warnings)
                    bad = sum(_field_text(f).count("\ufffd") for f in fields)
                    if bad > MAX_BAD_CHARACTERS:
                        raise _Reject(
                            codes.MARC_ENCODING_INVALID,
                            f"The record cannot be read as {encoding}: {bad} characters are invalid "
                            "(the record is probably in another character set).",
                        ) from None
                    damaged = sorted({f.tag for f in fields if "\ufffd" in _field_text(f)})
                    warnings.append(
                        f"{bad} bytes are not valid {encoding} and are shown as \ufffd "
                        f"(fields {', '.join(damaged)})."
                    )

        record = pymarc.Record(leader=Leader(leader))
        record.fields = fields
        return record, self._flavour_of(record, warnings), encoding

    def _flavour_of(self, record: pymarc.Record, warnings: list[str]) -> Flavour:
        """The override if given, else the flavour the record's fields show (noted if unsure)."""
        if self._flavour:
            return self._flavour
        flavour, note = detect_flavour(record)
        if note:
            warnings.append(note)
        return flavour

    def _leader(self, raw: bytes, warnings: list[str]) -> str:
        if raw.isascii():
            return raw.decode("ascii")
        codec = _codec(self.encoding or "utf-8") if self.encoding != "marc-8" else "latin-1"
        text = raw.decode(codec, "replace").translate(_LEADER_HOMOGLYPHS)
        if len(text) == 24 and text.isascii():
            warnings.append(f"The leader had non-Latin look-alike letters ({raw!r}); read as {text!r}.")
            return text
        raise _Reject(
            codes.MARC_LEADER_INVALID,
            f"The leader contains bytes that are not letters, digits or blanks: {raw!r}.",
        )

    @staticmethod
    def _base_address(rec: bytes, leader: str, warnings: list[str]) -> int:
        text = leader[12:17]
        n = len(rec)
        if text.isdigit():
            base = int(text)
            if 24 < base < n and rec[base - 1] == FIELD_END:
                return base
            if 24 < base < n and (base - 25) % 12 == 0 and rec[24 : base - 1].isascii():
                # Right size for whole directory entries, only the terminator byte is wrong.
                warnings.append(f"The directory does not end with a field terminator (byte {base - 1}).")
                return base
        # The directory ends with the first field terminator; when that gives a whole number
        # of entries the wrong leader value is a typing error and the record is still usable.
        end = rec.find(b"\x1e", 24)
        if end > 24 and (end - 24) % 12 == 0 and rec[24:end].isascii():
            warnings.append(
                f"The base address in the leader ({text!r}) is wrong; the data starts at byte {end + 1}."
            )
            return end + 1
        raise _Reject(
            codes.MARC_BASE_ADDRESS_INVALID,
            f"The base address in the leader ({text!r}) does not point at the start of the field data "
            "and the directory end cannot be found.",
        )

    @staticmethod
    def _field_bytes(
        rec: bytes,
        base: int,
        entries: list[tuple[str, int, int]],
        claimed: int | None,
        warnings: list[str],
    ) -> list[bytes]:
        n = len(rec)
        raws = []
        for _tag, length, start in entries:
            end = base + start + length
            if length == 0 or end > n or rec[end - 1] != FIELD_END:
                break
            raws.append(rec[base + start : end - 1])
        else:
            if claimed is not None and claimed != n:
                warnings.append(f"The leader gives a record length of {claimed} but the record has {n} bytes.")
            return raws
        # Lengths/offsets do not fit the bytes (often counted in characters by GBK exporters):
        # fall back to the field terminators, taking entries in their data order.
        pieces = rec[base : n - 1].split(b"\x1e")
        if pieces and pieces[-1] == b"":
            pieces.pop()
        if len(pieces) == len(entries):
            order = sorted(range(len(entries)), key=lambda i: entries[i][2])
            raws = [b""] * len(entries)
            for piece, i in zip(pieces, order):
                raws[i] = piece
            warnings.append(
                "The directory lengths or positions do not match the field data (for example counted "
                "in characters instead of bytes); fields were read by their terminators."
            )
            return raws
        if claimed is not None and claimed > n:
            raise _Reject(
                codes.MARC_RECORD_LENGTH_INVALID,
                f"The leader gives a record length of {claimed} but only {n} bytes are there, and the "
                "directory points past them: the record seems cut short.",
            )
        raise _Reject(
            codes.MARC_DIRECTORY_INVALID,
            f"The directory lists {len(entries)} fields but the data holds {len(pieces)}, and their "
            "positions do not match.",
        )

    def _record_encoding(
        self, rec: bytes, leader: str, flavour: Flavour, warnings: list[str]
    ) -> tuple[str, str | None]:
        """The encoding for one record and the one to retry with if it does not decode."""
        forced = self._forced_encoding
        if forced:
            return forced, None
        file_enc = self.encoding or "utf-8"
        if rec.isascii():
            if b"\x1b" in rec and flavour == "marc21" and leader[9] != "a":
                return "marc-8", None
            if flavour == "marc21":
                return ("utf-8" if leader[9] == "a" else "marc-8") if file_enc in ("utf-8", "marc-8") else file_enc, None
            return file_enc, None
        if flavour == "marc21":
            if leader[9] == "a":
                return "utf-8", None
            if b"\x1b" in rec:
                return "marc-8", None
            if file_enc in ("cp1251", "cp866", "latin-1", "gb18030"):
                return file_enc, None
            if _valid(rec, "utf-8"):
                warnings.append("The leader says MARC-8 (leader/09 blank) but the data is valid UTF-8; read as UTF-8.")
                return "utf-8", None
            return "marc-8", None
        if file_enc == "utf-8":
            return "utf-8", "gb18030"
        if file_enc == "gb18030":
            return "gb18030", "utf-8"
        if file_enc == "marc-8":
            return "utf-8", "gb18030"
        return file_enc, None

    # ---------------------------------------------------------------- MARCXML
    def _iter_xml(self) -> Iterator[ReadRecord | RejectedRecord]:
        source = io.BufferedReader(_Prefixed(self._head, self._stream), CHUNK_SIZE)
        index = 0
        found_any = False
        context = etree.iterparse(
            source, events=("end",), tag="{*}record", huge_tree=True, remove_comments=True
        )
        try:
            for _event, elem in context:
                children = [c for c in elem if isinstance(c.tag, str)]
                if any(etree.QName(c).localname in ("recordData", "recordSchema", "recordPacking") for c in children):
                    elem.clear()
                    continue  # an SRU wrapper; its MARC record was handled when it ended
                found_any = True
                index += 1
                yield self._decode_xml(elem, children, index)
                elem.clear()
                parent = elem.getparent()
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as exc:
            if not found_any and index == 0:
                raise MarcFileError(
                    codes.MARC_XML_INVALID, f"The XML file cannot be parsed: {exc.msg} (line {exc.lineno})."
                ) from exc
            index += 1
            yield RejectedRecord(
                index,
                None,
                codes.MARC_XML_INVALID,
                f"The XML is not well-formed at line {exc.lineno} ({exc.msg}); this record and anything "
                "after it in the file cannot be read.",
            )
            return
        if index == 0:
            raise MarcFileError(codes.MARC_XML_INVALID, "The XML file contains no MARC <record> element.")

    def _decode_xml(self, elem, children, index: int) -> ReadRecord | RejectedRecord:
        try:
            warnings: list[str] = []
            record = pymarc.Record()
            leader = None
            fields = []
            for child in children:
                name = etree.QName(child).localname
                if name == "leader":
                    leader = (child.text or "")
                elif name == "controlfield":
                    tag = _xml_tag(child)
                    fields.append(Field(tag=tag, data=child.text or ""))
                elif name == "datafield":
                    tag = _xml_tag(child)
                    ind1 = child.get("ind1", " ") or " "
                    ind2 = child.get("ind2", " ") or " "
                    if len(ind1) != 1 or len(ind2) != 1:
                        warnings.append(f"Field {tag} has indicators {ind1!r}/{ind2!r}; blanks used instead.")
                        ind1, ind2 = ind1[:1] or " ", ind2[:1] or " "
                    subfields = []
                    for sf in child:
                        if not isinstance(sf.tag, str) or etree.QName(sf).localname != "subfield":
                            continue
                        code = sf.get("code")
                        if code is None or len(code) != 1:
                            raise _Reject(
                                codes.MARC_FIELD_INVALID,
                                f"Field {tag} has a subfield whose code is {code!r} instead of one character.",
                            )
                        subfields.append(Subfield(code, sf.text or ""))
                    fields.append(Field(tag=tag, indicators=Indicators(ind1, ind2), subfields=subfields))
            if not fields:
                raise _Reject(codes.MARC_NO_FIELDS, "The <record> element has no fields.")
            if leader is None:
                raise _Reject(codes.MARC_LEADER_INVALID, "The <record> element has no <leader>.")
            # Some exporters write blanks as '-' or '^' in XML leaders; MARC leaders hold blanks.
            leader = leader.replace("-", " ").replace("^", " ")
            if len(leader) != 24:
                warnings.append(f"The leader has {len(leader)} characters instead of 24; it was padded or cut.")
                leader = (leader + " " * 24)[:24]
            record.leader = Leader(leader)
            record.fields = fields
            return ReadRecord(index, None, record, self._flavour_of(record, warnings), "utf-8", warnings)
        except _Reject as rej:
            return RejectedRecord(index, None, rej.code, rej.message)


def _xml_tag(elem) -> str:
    tag = elem.get("tag")
    if tag is None or not tag.strip():
        raise _Reject(codes.MARC_FIELD_INVALID, f"A <{etree.QName(elem).localname}> has no tag attribute.")
    tag = tag.strip()
    if len(tag) < 3 and tag.isdigit():
        tag = tag.zfill(3)  # some exporters drop leading zeros ("20" for 020)
    if len(tag) != 3:
        raise _Reject(codes.MARC_FIELD_INVALID, f"The field tag {tag!r} is not three characters long.")
    return tag


def _directory_tags(body: bytes) -> list[str]:
    """Tags of the first record in ``body`` (for the file-level sniff), [] if unreadable."""
    end = body.find(b"\x1e", 24)
    if end < 24:
        return []
    directory = body[24:end]
    return [directory[i : i + 3].decode("latin-1") for i in range(0, len(directory) - 11, 12)]


def _field_text(f: Field) -> str:
    if f.data is not None:
        return f.data
    return "".join(sf.value for sf in f.subfields)


def _codec(encoding: str) -> str:
    return "latin-1" if encoding == "latin-1" else encoding


def _is_control(tag: str) -> bool:
    return tag < "010" and tag.isdigit()


def _fields_codec(
    tags: list[str], raws: list[bytes], codec: str, errors: str, warnings: list[str]
) -> list[Field]:
    fields = []
    for tag, raw in zip(tags, raws):
        text = raw.decode(codec, errors)
        if _is_control(tag):
            fields.append(Field(tag=tag, data=text))
            continue
        parts = text.split("\x1f")
        fields.append(_data_field(tag, parts[0], parts[1:], warnings))
    return fields


def _data_field(tag: str, head: str, parts: list[str], warnings: list[str]) -> Field:
    if not parts and len(head) > 2:
        # No subfield code at all: keep the text rather than lose the field.
        warnings.append(f"Field {tag} has no subfield codes; its text was kept as $a.")
        return Field(tag=tag, indicators=Indicators(" ", " "), subfields=[Subfield("a", head)])
    if len(head) == 2:
        ind1, ind2 = head[0], head[1]
    else:
        ind1 = head[0] if head else " "
        ind2 = head[1] if len(head) > 1 else " "
        if len(head) > 2:
            warnings.append(f"Field {tag} has text before its first subfield code, dropped: {head[2:]!r}.")
        else:
            warnings.append(f"Field {tag} has {len(head)} indicator(s) instead of 2; blanks used.")
    if not (ind1.isascii() and ind2.isascii()):
        warnings.append(f"Field {tag} has indicators {ind1!r}{ind2!r} that are not ASCII; blanks used.")
        ind1 = ind2 = " "
    subfields = []
    for part in parts:
        if part:
            code = part[0]
            if not code.isascii():
                warnings.append(f"Field {tag} has a subfield code {code!r} that is not ASCII (kept as is).")
            subfields.append(Subfield(code, part[1:]))
    return Field(tag=tag, indicators=Indicators(ind1, ind2), subfields=subfields)


def _fields_marc8(tags: list[str], raws: list[bytes], warnings: list[str]) -> list[Field]:
    err = io.StringIO()
    fields = []
    with contextlib.redirect_stderr(err):
        for tag, raw in zip(tags, raws):
            if _is_control(tag):
                fields.append(Field(tag=tag, data=raw.decode("latin-1")))
                continue
            parts = raw.split(SUBFIELD_MARK)
            head = parts[0].decode("latin-1")
            texts = []
            for part in parts[1:]:
                if not part:
                    continue
                code = chr(part[0])
                try:
                    value = MARC8ToUnicode().translate(part[1:]) if not part[1:].isascii() or b"\x1b" in part else part[1:].decode("ascii")
                except (IndexError, TypeError, KeyError) as exc:
                    raise _Reject(
                        codes.MARC_ENCODING_INVALID,
                        f"Field {tag} ${code} holds a broken MARC-8 character sequence.",
                    ) from exc
                texts.append(code + value)
            fields.append(_data_field(tag, head, texts, warnings))
    # Unmapped MARC-8 characters become blanks (pymarc's choice) and are only reported:
    # real MARC-8 catalogues are full of them and the rest of the record is still right.
    problems = err.getvalue().count("\n")
    if problems:
        warnings.append(f"{problems} MARC-8 characters could not be converted and were replaced by blanks.")
    return fields
