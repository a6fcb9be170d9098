"""A parser for CQL, the Contextual Query Language of SRU (http://www.loc.gov/standards/sru/cql/).

The whole CQL 1.2 syntax is read: prefix assignments (``> dc = "info:..."``), search clauses
with an index, a relation (symbol or name) with modifiers and a term, bare terms, the booleans
``and`` / ``or`` / ``not`` / ``prox`` with modifiers, parentheses, quoted terms with ``\\"``
escapes and a trailing ``sortby``. Which of it the catalogue can evaluate is decided later
(catalog.sru.query): parsing and support are different diagnostics (10 versus 16, 19, 37 ...).

Booleans have no precedence among themselves: CQL reads them left to right, so
``a or b and c`` is ``(a or b) and c``. Terms keep their backslash escapes, because masking
(``*``, ``?``) and anchoring (``^``) depend on whether a character was escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from catalog.sru.diagnostics import (
    INVALID_PARENTHESES,
    INVALID_QUOTES,
    QUERY_SYNTAX_ERROR,
    TOO_MANY_BOOLEAN_OPERATORS,
    SruError,
)

BOOLEANS = ("and", "or", "not", "prox")
# Words that end a search clause instead of naming a relation after a bare term.
_CLAUSE_ENDERS = (*BOOLEANS, "sortby")
_SYMBOLS = ("==", "<=", ">=", "<>", "=", "<", ">")
# Characters that end an unquoted word (CQL's charString1).
_WORD_END = frozenset(' \t\r\n()=<>"/')
SERVER_CHOICE = "cql.serverChoice"
# Far more than any catalogue query needs; a bound keeps one request from building a huge SQL.
MAX_BOOLEANS = 30
# Parentheses and prefix assignments nest the query tree, and the parser, the translation and
# the echo of the query each walk it by recursion: deeper than this is refused (diagnostic 13 at
# the offending character) long before Python's recursion limit (about 330 levels here).
MAX_NESTING = 30

TokenKind = Literal["word", "string", "symbol", "lparen", "rparen", "slash"]


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str  # a quoted string without its quotes, escapes kept
    position: int  # offset of the token's first character in the query


@dataclass(frozen=True)
class Modifier:
    name: str
    comparison: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class SearchClause:
    index: str  # as written; cql.serverChoice for a bare term
    relation: str  # as written: "=", "==", "any", "exact" ...
    term: str  # escapes kept
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True)
class BooleanQuery:
    operator: str  # lower case: and, or, not, prox
    left: Node
    right: Node
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True)
class PrefixedQuery:
    """``> prefix = uri query``: inside ``query``, ``prefix.name`` means an index of ``uri``."""

    prefix: str  # "" for a default-set assignment (``> uri``)
    uri: str
    query: Node


Node = SearchClause | BooleanQuery | PrefixedQuery


@dataclass(frozen=True)
class SortKey:
    index: str
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True)
class CqlQuery:
    root: Node
    sort_keys: tuple[SortKey, ...] = field(default=())


def tokenise(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()/":
            kinds: dict[str, TokenKind] = {"(": "lparen", ")": "rparen", "/": "slash"}
            tokens.append(Token(kinds[ch], ch, i))
            i += 1
        elif ch in "=<>":
            symbol = next(s for s in _SYMBOLS if text.startswith(s, i))
            tokens.append(Token("symbol", symbol, i))
            i += len(symbol)
        elif ch == '"':
            end = _closing_quote(text, i)
            tokens.append(Token("string", text[i + 1 : end], i))
            i = end + 1
        else:
            start = i
            while i < len(text) and text[i] not in _WORD_END:
                i += 2 if text[i] == "\\" else 1  # an escaped character never ends the word
            tokens.append(Token("word", text[start : min(i, len(text))], start))
    return tokens


def _closing_quote(text: str, opening: int) -> int:
    i = opening + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i
        else:
            i += 1
    raise SruError(INVALID_QUOTES, str(opening))


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenise(text)
        self.at = 0
        self.booleans = 0
        self.depth = 0
        self.length = len(text)

    def peek(self) -> Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def position(self) -> int:
        token = self.peek()
        return token.position if token else self.length

    def syntax_error(self, expected: str) -> SruError:
        token = self.peek()
        found = f"{token.text!r}" if token else "the end of the query"
        return SruError(QUERY_SYNTAX_ERROR, f"expected {expected} at character {self.position()}, found {found}")

    def term_token(self, expected: str) -> Token:
        token = self.peek()
        if token is None or token.kind not in ("word", "string"):
            raise self.syntax_error(expected)
        return self.take()

    def is_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text.lower() in words

    # cqlQuery ::= prefixAssignment cqlQuery | scopedClause
    def nest(self, token: Token) -> None:
        self.depth += 1
        if self.depth <= MAX_NESTING:
            return
        if token.kind == "lparen":  # the list's details for 13: the offset of the character
            raise SruError(INVALID_PARENTHESES, str(token.position))
        raise SruError(QUERY_SYNTAX_ERROR, f"more than {MAX_NESTING} nested groups and prefix assignments "
                                           f"at character {token.position}")

    def query(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "symbol" and token.text == ">":
            self.nest(token)
            self.take()
            first = self.term_token("a context set prefix or identifier")
            following = self.peek()
            if following is not None and following.kind == "symbol" and following.text == "=":
                self.take()
                uri = self.term_token("a context set identifier")
                prefixed = PrefixedQuery(first.text, uri.text, self.query())
            else:
                prefixed = PrefixedQuery("", first.text, self.query())
            self.depth -= 1
            return prefixed
        return self.scoped_clause()

    # scopedClause ::= scopedClause booleanGroup searchClause | searchClause (left to right)
    def scoped_clause(self) -> Node:
        left = self.search_clause()
        while self.is_word(*BOOLEANS):
            operator = self.take().text.lower()
            self.booleans += 1
            if self.booleans > MAX_BOOLEANS:
                raise SruError(TOO_MANY_BOOLEAN_OPERATORS, str(MAX_BOOLEANS))
            modifiers = self.modifiers()
            left = BooleanQuery(operator, left, self.search_clause(), modifiers)
        return left

    # searchClause ::= '(' cqlQuery ')' | index relation searchTerm | searchTerm
    def search_clause(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "lparen":
            self.nest(token)
            self.take()
            inner = self.query()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise SruError(INVALID_PARENTHESES, str(token.position))
            self.take()
            self.depth -= 1
            return inner
        if token is not None and token.kind == "rparen":
            raise SruError(INVALID_PARENTHESES, str(token.position))
        first = self.term_token("a search term")
        following = self.peek()
        names_relation = following is not None and (
            following.kind == "symbol" or following.kind == "word" and following.text.lower() not in _CLAUSE_ENDERS
        )
        if not names_relation:
            return SearchClause(SERVER_CHOICE, "=", first.text)
        relation = self.take().text
        modifiers = self.modifiers()
        term = self.term_token("a search term after the relation")
        return SearchClause(first.text, relation, term.text, modifiers)

    # modifierList ::= ('/' modifierName [comparitorSymbol modifierValue])+
    def modifiers(self) -> tuple[Modifier, ...]:
        found: list[Modifier] = []
        while (token := self.peek()) is not None and token.kind == "slash":
            self.take()
            name = self.term_token("a modifier name").text
            comparison = self.peek()
            if comparison is not None and comparison.kind == "symbol":
                self.take()
                found.append(Modifier(name, comparison.text, self.term_token("a modifier value").text))
            else:
                found.append(Modifier(name))
        return tuple(found)

    def sort_keys(self) -> tuple[SortKey, ...]:
        keys: list[SortKey] = []
        while (token := self.peek()) is not None and token.kind in ("word", "string"):
            self.take()
            keys.append(SortKey(token.text, self.modifiers()))
        if not keys:
            raise self.syntax_error("a sort key after sortby")
        return tuple(keys)


def parse(text: str) -> CqlQuery:
    """Parse a CQL query; raise SruError with diagnostic 10, 13, 14 or 38 when it is not CQL
    or nests deeper than MAX_NESTING."""
    parser = _Parser(text)
    if parser.peek() is None:
        raise SruError(QUERY_SYNTAX_ERROR, "the query is empty")
    root = parser.query()
    sort_keys: tuple[SortKey, ...] = ()
    if parser.is_word("sortby"):
        parser.take()
        sort_keys = parser.sort_keys()
    leftover = parser.peek()
    if leftover is not None:
        if leftover.kind == "rparen":
            raise SruError(INVALID_PARENTHESES, str(leftover.position))
        raise parser.syntax_error("a boolean operator or the end of the query")
    return CqlQuery(root, sort_keys)
