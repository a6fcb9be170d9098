"""Stable codes for MARC reading, extraction and conversion problems.

The importer stores these codes with each rejected record and the UI translates them, so a
code never changes meaning once released. Each constant's comment is its one-line meaning.
"""

from __future__ import annotations

# --- whole file (raised as MarcFileError) ---
MARC_FILE_EMPTY = "MARC_FILE_EMPTY"  # the file holds no bytes, or only whitespace
MARC_FILE_NOT_MARC = "MARC_FILE_NOT_MARC"  # neither ISO 2709 nor MARCXML (e.g. JSON, text, MARCMaker)
MARC_ENCODING_UNKNOWN = "MARC_ENCODING_UNKNOWN"  # an encoding override this reader does not know

# --- one record (RejectedRecord.code); MARC_XML_INVALID is also raised for a whole file ---
MARC_RECORD_TRUNCATED = "MARC_RECORD_TRUNCATED"  # data ends before the record terminator (0x1D)
MARC_LEADER_INVALID = "MARC_LEADER_INVALID"  # the 24-character leader is missing or unreadable
MARC_RECORD_TOO_LONG = "MARC_RECORD_TOO_LONG"  # over 1 MiB without a record terminator: not a record
MARC_RECORD_LENGTH_INVALID = "MARC_RECORD_LENGTH_INVALID"  # leader length and data disagree so the fields cannot be found
MARC_BASE_ADDRESS_INVALID = "MARC_BASE_ADDRESS_INVALID"  # leader/12-16 does not point at the start of the data
MARC_DIRECTORY_INVALID = "MARC_DIRECTORY_INVALID"  # directory entries are malformed or do not match the data
MARC_NO_FIELDS = "MARC_NO_FIELDS"  # the record has a leader but not a single field
MARC_ENCODING_INVALID = "MARC_ENCODING_INVALID"  # the bytes do not decode in the file's character set
MARC_XML_INVALID = "MARC_XML_INVALID"  # MARCXML that is not well-formed or breaks the MARCXML structure
MARC_FIELD_INVALID = "MARC_FIELD_INVALID"  # a field is malformed beyond repair (bad tag, no data)

# --- extraction and conversion ---
RECORD_TITLE_MISSING = "RECORD_TITLE_MISSING"  # no title in 200 $a (CNMARC) or 245 $a/$k (MARC21)
MARC_JSON_INVALID = "MARC_JSON_INVALID"  # MARC-in-JSON that does not have the expected shape

CODES: dict[str, str] = {
    MARC_FILE_EMPTY: "The file is empty.",
    MARC_FILE_NOT_MARC: "The file is neither ISO 2709 MARC nor MARCXML.",
    MARC_ENCODING_UNKNOWN: "The character set asked for is not one this reader supports.",
    MARC_RECORD_TRUNCATED: "The record is cut short: it has no end-of-record mark.",
    MARC_LEADER_INVALID: "The record leader is missing or unreadable.",
    MARC_RECORD_TOO_LONG: "More than 1 MiB without an end-of-record mark: not a record; skipped to the next mark.",
    MARC_RECORD_LENGTH_INVALID: "The record length in the leader does not match the data.",
    MARC_BASE_ADDRESS_INVALID: "The leader does not say correctly where the field data starts.",
    MARC_DIRECTORY_INVALID: "The record directory is damaged.",
    MARC_NO_FIELDS: "The record has no fields.",
    MARC_ENCODING_INVALID: "The record's characters cannot be read in the file's character set.",
    MARC_XML_INVALID: "The MARCXML is malformed.",
    MARC_FIELD_INVALID: "A field of the record is malformed.",
    RECORD_TITLE_MISSING: "The record has no title.",
    MARC_JSON_INVALID: "The MARC-in-JSON document has the wrong shape.",
}
