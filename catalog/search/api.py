"""GET /api/v1/search: the public catalogue search (no login)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from catalog.search.engine import SearchQuery, Sort
from catalog.search.service import get_engine
from ils.http import Public

router = APIRouter(prefix="/api/v1", tags=["search"])


class HoldingCount(BaseModel):
    unit: str = Field(examples=["DC-TD"])
    copies: int
    on_shelf: int


class SearchHitRead(BaseModel):
    record_id: int
    title: str = Field(examples=["红楼梦"])
    highlight: str = Field(description="The title as HTML with the matched parts in <em>", examples=["<em>红楼梦</em>"])
    authors: list[str]
    responsibility: str | None
    publisher: str | None
    year: int | None
    language: str | None
    isbn: str | None
    clc: str | None
    call_number: str | None
    item_types: list[str]
    holdings: list[HoldingCount]
    score: float


class SearchResponse(BaseModel):
    total: int
    page: int
    size: int
    hits: list[SearchHitRead]
    facets: dict[str, dict[str, int]] = Field(
        description="Counts over all matches: unit (copies held), available (on the shelf now, by unit), "
        "lang, clc (中图法 top class), type (item type), decade",
        examples=[{"unit": {"DC": 120, "DC-TD": 14}, "lang": {"chi": 130, "eng": 4}, "clc": {"I": 80}}],
    )


@router.get("/search", response_model=SearchResponse)
def search(
    _: Public,
    q: Annotated[str, Query(max_length=200, description="Words, pinyin, initials, an ISBN or a call-number prefix")] = "",
    unit: Annotated[str | None, Query(description="Only records with a copy at this unit")] = None,
    available: Annotated[bool, Query(description="Only records with a copy on the shelf now (at `unit` if given)")] = False,
    lang: Annotated[str | None, Query(examples=["chi"])] = None,
    # Bounded: a year beyond what the index's integers hold was a 500 (the fuzzer sent 8.8e21).
    year_from: Annotated[int | None, Query(ge=-9999, le=9999)] = None,
    year_to: Annotated[int | None, Query(ge=-9999, le=9999)] = None,
    clc: Annotated[str | None, Query(max_length=1, description="中图法 top class letter, e.g. I")] = None,
    type: Annotated[str | None, Query(description="Item type, e.g. children")] = None,
    sort: Annotated[Sort, Query()] = "relevance",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResponse:
    """Search the union catalogue of the whole network, in Chinese (simplified or traditional),
    by pinyin or initials (hlm → 红楼梦), ISBN (any form) or call number (I242). Each hit says
    how many copies each unit holds and how many are on the shelf now."""
    result = get_engine().search(SearchQuery(
        q=q, unit=unit, available=available, lang=lang, year_from=year_from, year_to=year_to, clc=clc,
        type=type, sort=sort, page=page, size=size,
    ))
    return SearchResponse(
        total=result.total, page=page, size=size, facets=result.facets,
        hits=[SearchHitRead(**{**h.document, "highlight": h.highlight, "score": h.score}) for h in result.hits],
    )
