"""What the Meilisearch backend sends, checked without a server (the behaviour itself is
checked against a real server in test_search.py when ILS_TEST_MEILISEARCH_URL is set)."""

from __future__ import annotations

from catalog.search.documents import SearchDocument
from catalog.search.engine import SearchQuery
from catalog.search.meili import SETTINGS, MeiliEngine


def _doc() -> SearchDocument:
    return SearchDocument(
        record_id=7, version=2, title="红楼梦", authors=["曹雪芹"], responsibility="曹雪芹著", publisher="人民文学出版社",
        year=1996, language="chi", isbns=["9787020002207"], clc="I242.4", clc_top="I", call_number="I242.4/1",
        item_types=["book"], holdings=[{"unit": "DC", "copies": 2, "on_shelf": 1}, {"unit": "DC-TD", "copies": 1, "on_shelf": 0}],
        title_terms=["红楼梦", "红楼", "楼梦"], pinyin_terms=["hong", "lou", "meng", "hongloumeng", "hlm"],
        isbn_terms=["9787020002207"], call_number_terms=["i", "i2", "i242.4/1"], title_pinyin="hongloumeng",
    )


def test_document_carries_analysed_terms_facets_and_display_fields():
    body = MeiliEngine._document(_doc())
    assert body["record_id"] == 7 and body["title"] == "红楼梦" and body["isbn"] == "9787020002207"
    assert body["title_terms"] == "红楼梦 红楼 楼梦" and body["pinyin_terms"].endswith("hlm")
    assert body["units"] == ["DC", "DC-TD"] and body["shelf_units"] == ["DC"]
    assert body["decade"] == 1990 and body["clc_top"] == "I" and body["lang"] == "chi"
    # every attribute the settings name exists on the document
    for attribute in [*SETTINGS["searchableAttributes"], *SETTINGS["filterableAttributes"], *SETTINGS["sortableAttributes"]]:
        assert attribute in body


def test_filters_are_quoted_meilisearch_expressions():
    engine = MeiliEngine.__new__(MeiliEngine)
    assert engine._filter(SearchQuery(unit='DC"X', available=True)) == ['shelf_units = "DC\\"X"']
    assert engine._filter(SearchQuery(available=True, lang="chi", clc="i", type="children", year_from=2000, year_to=2010)) == [
        "shelf_units IS NOT EMPTY", 'lang = "chi"', 'clc_top = "I"', 'item_types = "children"', "year >= 2000",
        "year <= 2010",
    ]
