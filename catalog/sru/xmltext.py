"""Text that XML 1.0 can carry. lxml refuses control characters, lone surrogates and U+FFFE/FFFF,
and both catalogue data and request parameters (``query=%01``) can hold them, so every text
the SRU responses write goes through ``xml_safe``."""

from __future__ import annotations


def xml_safe(text: str) -> str:
    """``text`` with each character XML cannot carry replaced by U+FFFD."""
    if text.isprintable():
        return text
    return "".join(ch if _xml_char(ch) else "\ufffd" for ch in text)


def _xml_char(ch: str) -> bool:
    code = ord(ch)
    return ch in "\t\n\r" or 0x20 <= code < 0xD800 or 0xE000 <= code < 0xFFFE or code > 0xFFFF
