"""居民身份证号 (GB 11643-1999): 17 digits and a check character."""

from __future__ import annotations

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalise_id_card(text: str) -> str | None:
    """The 18-character number upper-cased, or None if it is malformed or its check fails."""
    value = text.strip().upper()
    # isascii first: "²".isdigit() is true, and int("²") fails.
    if len(value) != 18 or not value.isascii() or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return None
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS))
    return value if _CHECK[total % 11] == value[17] else None


def mask(value: str | None) -> str | None:
    """530113********001X: enough for a librarian to confirm, not enough to misuse."""
    return value[:6] + "*" * 8 + value[14:] if value else None


def mask_phone(value: str | None) -> str | None:
    """138****5678: the last digits to confirm with the reader, not a number to call."""
    if not value:
        return value
    return value[:3] + "*" * max(len(value) - 7, 1) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_email(value: str | None) -> str | None:
    """l***@example.cn."""
    if not value:
        return value
    name, at, domain = value.partition("@")
    return f"{name[:1]}***{at}{domain}"


def mask_address(value: str | None) -> str | None:
    """The district, not the house: 云南省昆明市东川区…"""
    if not value:
        return value
    return value[:9] + "…" if len(value) > 9 else value[:2] + "…"
