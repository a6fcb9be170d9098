"""The search engine interface every backend implements, and what it takes and gives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from catalog.search.documents import SearchDocument

Sort = Literal["relevance", "newest", "title"]
FACETS = ("unit", "available", "lang", "clc", "type", "decade")


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    unit: str | None = None  # a unit holding a copy
    available: bool = False  # only records with a copy on the shelf (at ``unit`` if given)
    lang: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    clc: str | None = None  # 中图法 top class letter
    type: str | None = None  # item type
    sort: Sort = "relevance"
    page: int = 1
    size: int = 20


@dataclass
class SearchHit:
    record_id: int
    score: float
    document: dict[str, Any]
    highlight: str  # the title with the matched parts in <em>…</em>


@dataclass
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchEngine(Protocol):
    def index(self, documents: list[SearchDocument]) -> None:
        """Add or replace these records (idempotent by record id)."""

    def delete(self, record_ids: list[int]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def count(self) -> int: ...

    def clear(self) -> None: ...
