"""ISBN normalisation: every ISBN is stored and compared as 13 digits without hyphens.

Records carry ISBNs as typed by cataloguers and vendors: "7-02-002041-4", "ISBN 978-7-5327-4386-5
(pbk.)", "7-02-002041-4 : CNY45.00", "9787020024759". Duplicate detection needs one form.
"""

from __future__ import annotations

import re
import unicodedata

# The first run of ISBN-looking characters: digits with optional hyphens/blanks, ending in a
# digit or X (ISBN-10 check character).
_CANDIDATE = re.compile(r"[0-9][0-9\- ]{8,16}[0-9Xx]")


def _isbn10_check(first9: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _isbn13_check(first12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def isbn10_to_13(isbn10: str) -> str:
    """Convert a valid 10-character ISBN (digits, X allowed last) to ISBN-13 digits."""
    core = "978" + isbn10[:9]
    return core + _isbn13_check(core)


def normalise_isbn(text: str | None) -> str | None:
    """Return the ISBN-13 digits found in ``text``, or None when there is no valid ISBN.

    Accepts ISBN-10 or ISBN-13 with hyphens, blanks, an "ISBN" prefix and trailing
    qualifiers or prices. A wrong check digit gives None (it is a typing error, and guessing
    would merge different books). EAN-13 codes that are not ISBNs (977 = ISSN, others) give
    None too.
    """
    if not text:
        return None
    # Chinese input methods produce full-width digits and hyphens; NFKC makes them ASCII.
    match = _CANDIDATE.search(unicodedata.normalize("NFKC", text))
    if match is None:
        return None
    compact = match.group(0).replace("-", "").replace(" ", "").upper()
    # A price or volume typed after the ISBN can run into the match ("9787040247657 25"),
    # so try the 13- and 10-character prefixes rather than the whole run.
    head13 = compact[:13]
    if len(head13) == 13 and head13.isdigit() and head13.startswith(("978", "979")):
        return head13 if _isbn13_check(head13[:12]) == head13[12] else None
    if len(compact) >= 13 and compact[:13].isdigit():
        return None  # an EAN-13 that is not an ISBN (977 = ISSN, 979-0 music is 979 anyway)
    head10 = compact[:10]
    if len(head10) == 10 and head10[:9].isdigit() and (head10[9].isdigit() or head10[9] == "X"):
        return isbn10_to_13(head10) if _isbn10_check(head10[:9]) == head10[9] else None
    return None


def isbn13_to_10(isbn13: str) -> str | None:
    """ISBN-10 form of a 978 ISBN-13 (for sources that only know ISBN-10), else None."""
    if len(isbn13) != 13 or not isbn13.startswith("978"):
        return None
    return isbn13[3:12] + _isbn10_check(isbn13[3:12])
