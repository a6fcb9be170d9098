"""MARC reading, extraction and writing for the union catalogue (pure functions, no database).

CNMARC/UNIMARC and MARC21; ISO 2709 and MARCXML; UTF-8, MARC-8, GB18030 and a few
single-byte character sets. See reader.py for the detection rules and extract.py for the
holdings conventions.
"""

from catalog.marc.callnumber import call_number_sort_key
from catalog.marc.crosswalk import cnmarc_to_marc21
from catalog.marc.errors import ExtractError, MarcError, MarcFileError, MarcJsonError
from catalog.marc.extract import Extracted, Holding, extract, match_key
from catalog.marc.isbn import isbn10_to_13, normalise_isbn
from catalog.marc.reader import (
    Encoding,
    Flavour,
    MarcFile,
    ReadRecord,
    RejectedRecord,
    detect_flavour,
)
from catalog.marc.writer import from_json, to_iso2709, to_json, to_marcxml

__all__ = [
    "Encoding",
    "ExtractError",
    "Extracted",
    "Flavour",
    "Holding",
    "MarcError",
    "MarcFile",
    "MarcFileError",
    "MarcJsonError",
    "ReadRecord",
    "RejectedRecord",
    "call_number_sort_key",
    "cnmarc_to_marc21",
    "detect_flavour",
    "extract",
    "from_json",
    "isbn10_to_13",
    "match_key",
    "normalise_isbn",
    "to_iso2709",
    "to_json",
    "to_marcxml",
]
