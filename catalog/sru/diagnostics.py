"""SRU diagnostics: the protocol's own error reports (info:srw/diagnostic/1/N).

SRU over HTTP GET answers every request with 200 and an XML response; what went wrong travels
inside it as a diagnostic with the standard number, the standard message and details in the
format the diagnostics list gives for that number. So nothing here is a ``DomainError``.
"""

from __future__ import annotations

from dataclasses import dataclass

DIAGNOSTIC_SET = "info:srw/diagnostic/1/"

# The messages of the SRU 1.2 diagnostics list (http://www.loc.gov/standards/sru/diagnostics/)
# for the numbers this server can send.
GENERAL_SYSTEM_ERROR = 1
UNSUPPORTED_OPERATION = 4
UNSUPPORTED_VERSION = 5
UNSUPPORTED_PARAMETER_VALUE = 6
MANDATORY_PARAMETER_MISSING = 7
UNSUPPORTED_PARAMETER = 8
QUERY_SYNTAX_ERROR = 10
TOO_MANY_CHARACTERS_IN_QUERY = 12
INVALID_PARENTHESES = 13
INVALID_QUOTES = 14
UNSUPPORTED_CONTEXT_SET = 15
UNSUPPORTED_INDEX = 16
UNSUPPORTED_RELATION = 19
UNSUPPORTED_RELATION_MODIFIER = 20
UNSUPPORTED_RELATION_FOR_INDEX = 22
TOO_MANY_CHARACTERS_IN_TERM = 23
EMPTY_TERM = 27
MASKING_NOT_SUPPORTED = 28
TOO_MANY_MASKING_CHARACTERS = 30
ANCHORING_NOT_SUPPORTED = 31
ANCHORING_IN_UNSUPPORTED_POSITION = 32
TERM_INVALID_FOR_INDEX = 36
UNSUPPORTED_BOOLEAN_OPERATOR = 37
TOO_MANY_BOOLEAN_OPERATORS = 38
UNSUPPORTED_BOOLEAN_MODIFIER = 46
FIRST_RECORD_OUT_OF_RANGE = 61
UNKNOWN_SCHEMA = 66
RECORD_NOT_IN_SCHEMA = 67
UNSUPPORTED_RECORD_PACKING = 71
XPATH_UNSUPPORTED = 72
SORT_NOT_SUPPORTED = 80
STYLESHEETS_NOT_SUPPORTED = 110

MESSAGES: dict[int, str] = {
    GENERAL_SYSTEM_ERROR: "General system error",
    UNSUPPORTED_OPERATION: "Unsupported operation",
    UNSUPPORTED_VERSION: "Unsupported version",
    UNSUPPORTED_PARAMETER_VALUE: "Unsupported parameter value",
    MANDATORY_PARAMETER_MISSING: "Mandatory parameter not supplied",
    UNSUPPORTED_PARAMETER: "Unsupported Parameter",
    QUERY_SYNTAX_ERROR: "Query syntax error",
    TOO_MANY_CHARACTERS_IN_QUERY: "Too many characters in query",
    INVALID_PARENTHESES: "Invalid or unsupported use of parentheses",
    INVALID_QUOTES: "Invalid or unsupported use of quotes",
    UNSUPPORTED_CONTEXT_SET: "Unsupported context set",
    UNSUPPORTED_INDEX: "Unsupported index",
    UNSUPPORTED_RELATION: "Unsupported relation",
    UNSUPPORTED_RELATION_MODIFIER: "Unsupported relation modifier",
    UNSUPPORTED_RELATION_FOR_INDEX: "Unsupported combination of relation and index",
    TOO_MANY_CHARACTERS_IN_TERM: "Too many characters in term",
    EMPTY_TERM: "Empty term unsupported",
    MASKING_NOT_SUPPORTED: "Masking character not supported",
    TOO_MANY_MASKING_CHARACTERS: "Too many masking characters in term",
    ANCHORING_NOT_SUPPORTED: "Anchoring character not supported",
    ANCHORING_IN_UNSUPPORTED_POSITION: "Anchoring character in unsupported position",
    TERM_INVALID_FOR_INDEX: "Term in invalid format for index or relation",
    UNSUPPORTED_BOOLEAN_OPERATOR: "Unsupported boolean operator",
    TOO_MANY_BOOLEAN_OPERATORS: "Too many boolean operators in query",
    UNSUPPORTED_BOOLEAN_MODIFIER: "Unsupported boolean modifier",
    FIRST_RECORD_OUT_OF_RANGE: "First record position out of range",
    UNKNOWN_SCHEMA: "Unknown schema for retrieval",
    RECORD_NOT_IN_SCHEMA: "Record not available in this schema",
    UNSUPPORTED_RECORD_PACKING: "Unsupported record packing",
    XPATH_UNSUPPORTED: "XPath retrieval unsupported",
    SORT_NOT_SUPPORTED: "Sort not supported",
    STYLESHEETS_NOT_SUPPORTED: "Stylesheets not supported",
}


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic: its number in the SRU diagnostic set and the details the list asks for
    (the parameter's name for 6 and 7, the index for 16, the relation for 19 ...)."""

    number: int
    details: str | None = None

    @property
    def uri(self) -> str:
        return f"{DIAGNOSTIC_SET}{self.number}"

    @property
    def message(self) -> str:
        return MESSAGES[self.number]


class SruError(Exception):
    """A fatal diagnostic: the request cannot be answered with records."""

    def __init__(self, number: int, details: str | None = None):
        self.diagnostic = Diagnostic(number, details)
        super().__init__(f"{self.diagnostic.uri} {self.diagnostic.message}: {details or ''}")
