"""居民身份证号 (GB 11643-1999): 17 digits and a check character."""

from __future__ import annotations

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalise_id_card(text: str) -> str | None:
    """The 18-character number upper-cased, or None if it is malformed or its check fails."""
    value = text.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return None
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS))
    return value if _CHECK[total % 11] == value[17] else None


def mask(value: str | None) -> str | None:
    """530113********001X: enough for a librarian to confirm, not enough to misuse."""
    return value[:6] + "*" * 8 + value[14:] if value else None
