"""Errors raised by catalog.marc; all are DomainErrors with a stable code from codes.py."""

from __future__ import annotations

from ils.errors import InvalidInput


class MarcError(InvalidInput):
    """Base of the MARC errors: ``code`` is stable, ``message`` is for a cataloguer."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.message = message


class MarcFileError(MarcError):
    """The file cannot be read at all (empty, not MARC, XML that does not parse)."""


class ExtractError(MarcError):
    """A record was read but lacks what the catalogue needs (a title)."""


class MarcJsonError(MarcError):
    """MARC-in-JSON input does not have the expected shape."""
