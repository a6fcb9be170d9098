"""The Meilisearch backend, for networks that outgrow one machine (ILS_SEARCH=meilisearch).

Meilisearch gets the same pre-analysed terms as the embedded index (catalog.search.analysis:
bigrams, folded characters, pinyin, initials), as space-separated strings in their own
attributes, and the query is analysed the same way before it is sent. Its own tokenizer then
only ever sees what our analysis produced, so both backends find the same records. The index
settings (searchable, filterable and sortable attributes, ranking rules, typo tolerance) are
managed here and applied whenever the engine starts.

There is no Meilisearch server on the development machines: the shared behavioural tests
run against this backend only when ILS_TEST_MEILISEARCH_URL points at one.
"""

from __future__ import annotations

from typing import Any

import meilisearch

from catalog.search.analysis import analyse_query
from catalog.search.documents import SearchDocument
from catalog.search.engine import SearchHit, SearchQuery, SearchResult
from catalog.search.highlight import highlight

TEXT_ATTRIBUTES = ["title_terms", "author_terms", "pinyin_terms", "callno_terms", "other_terms"]
FACETS = {"unit": "units", "available": "shelf_units", "lang": "lang", "clc": "clc_top", "type": "item_types",
          "decade": "decade"}
SETTINGS: dict[str, Any] = {
    # Order matters: the "attribute" ranking rule prefers a match in the title to one in a subject.
    "searchableAttributes": [*TEXT_ATTRIBUTES, "isbn_terms"],
    "filterableAttributes": ["units", "shelf_units", "lang", "clc_top", "item_types", "year", "decade"],
    "sortableAttributes": ["year", "title_rank"],
    "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
    # Typos are forgiven in Latin words (pinyin, English titles) of 5+ letters, never in ISBNs
    # or call numbers, where a one-digit difference is another book.
    "typoTolerance": {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
        "disableOnAttributes": ["isbn_terms", "callno_terms"],
    },
    # Call-number terms (i242.4/12) stay whole instead of splitting at the dot and slash.
    "nonSeparatorTokens": [".", "/"],
    "synonyms": {},
    "faceting": {"maxValuesPerFacet": 200},
    "pagination": {"maxTotalHits": 100_000},
}
TIMEOUT_MS = 60_000


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MeiliEngine:
    def __init__(self, url: str, api_key: str | None = None, index_uid: str = "records"):
        self.client = meilisearch.Client(url, api_key)
        self.uid = index_uid
        task = self.client.create_index(index_uid, {"primaryKey": "record_id"})
        # An existing index makes this task fail harmlessly; either way the index is there now.
        self.client.wait_for_task(task.task_uid, timeout_in_ms=TIMEOUT_MS)
        self.index_ = self.client.index(index_uid)
        self._wait(self.index_.update_settings(SETTINGS))

    def _wait(self, task: Any) -> None:
        done = self.client.wait_for_task(task.task_uid, timeout_in_ms=TIMEOUT_MS)
        if getattr(done, "status", "succeeded") == "failed":
            raise RuntimeError(f"Meilisearch task {task.task_uid} failed: {getattr(done, 'error', None)}")

    @staticmethod
    def _document(d: SearchDocument) -> dict[str, Any]:
        return {
            **d.display(),
            "title_terms": " ".join(d.title_terms), "author_terms": " ".join(d.author_terms),
            "other_terms": " ".join(d.other_terms), "pinyin_terms": " ".join(d.pinyin_terms),
            "isbn_terms": " ".join(d.isbn_terms), "callno_terms": " ".join(d.call_number_terms),
            "units": d.units, "shelf_units": d.units_on_shelf, "lang": d.language, "clc_top": d.clc_top,
            "decade": d.year // 10 * 10 if d.year is not None else None,
            "title_rank": d.title_rank,
        }

    def index(self, documents: list[SearchDocument]) -> None:
        if documents:
            self._wait(self.index_.add_documents([self._document(d) for d in documents], primary_key="record_id"))

    def delete(self, record_ids: list[int]) -> None:
        if record_ids:
            self._wait(self.index_.delete_documents(list(record_ids)))

    def clear(self) -> None:
        self._wait(self.index_.delete_all_documents())

    def count(self) -> int:
        return self.index_.get_stats().number_of_documents

    def close(self) -> None:
        """HTTP client: nothing to release."""

    def _filter(self, query: SearchQuery) -> list[str]:
        filters: list[str] = []
        if query.available:
            filters.append(f"shelf_units = {_quote(query.unit)}" if query.unit else "shelf_units IS NOT EMPTY")
        elif query.unit:
            filters.append(f"units = {_quote(query.unit)}")
        for attribute, value in (("lang", query.lang), ("clc_top", query.clc.upper() if query.clc else None),
                                 ("item_types", query.type)):
            if value:
                filters.append(f"{attribute} = {_quote(value)}")
        if query.year_from is not None:
            filters.append(f"year >= {int(query.year_from)}")
        if query.year_to is not None:
            filters.append(f"year <= {int(query.year_to)}")
        return filters

    def search(self, query: SearchQuery) -> SearchResult:
        analysed = analyse_query(query.q) if query.q.strip() else None
        size = max(1, min(query.size, 100))
        params: dict[str, Any] = {
            "filter": self._filter(query), "facets": list(FACETS.values()),
            "page": max(query.page, 1), "hitsPerPage": size, "matchingStrategy": "all",
        }
        q = ""
        if analysed is not None:
            if analysed.isbn:
                q, params["attributesToSearchOn"] = analysed.isbn, ["isbn_terms"]
            elif analysed.text:
                q, params["attributesToSearchOn"] = " ".join(analysed.text), TEXT_ATTRIBUTES
            else:
                return SearchResult(0, [], {})
        if query.sort == "newest" or (query.sort == "relevance" and not q):
            params["sort"] = ["year:desc"]
        elif query.sort == "title":
            params["sort"] = ["title_rank:asc"]
        response = self.index_.search(q, params)
        hits = [
            SearchHit(
                record_id=h["record_id"], score=float(h.get("_rankingScore", 0.0)),
                document={k: v for k, v in h.items() if not k.endswith("_terms") and not k.startswith("_")
                          and k not in ("units", "shelf_units", "clc_top", "decade", "title_rank", "lang")}
                | {"language": h.get("language")},
                highlight=highlight(h["title"], analysed) if analysed else h["title"],
            )
            for h in response["hits"]
        ]
        distribution = response.get("facetDistribution", {})
        facets = {name: {str(k): v for k, v in distribution.get(attr, {}).items() if v} for name, attr in FACETS.items()}
        return SearchResult(response.get("totalHits", len(hits)), hits, facets)
