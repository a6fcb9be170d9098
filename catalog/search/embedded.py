"""The embedded search backend: tantivy, in-process, its index in a directory on disk.

Documents are indexed with our own analysis (catalog.search.analysis) as pre-tokenised
fields, so tantivy does no linguistics of its own and the Meilisearch backend can be fed the
very same terms. Facets are tantivy aggregations over fast fields.

One process writes (the one running the outbox relay); tantivy's directory lock refuses a
second writer. Readers in other processes pick up commits on reload.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tantivy

from catalog.search.analysis import AnalysedQuery, analyse_query
from catalog.search.documents import SearchDocument
from catalog.search.engine import SearchHit, SearchQuery, SearchResult
from catalog.search.highlight import highlight

_TEXT_FIELDS = {"title_t": 3.0, "author_t": 2.0, "other_t": 1.0}  # boosts; other_t is scored flat
# Publisher, series and subject words let a record match but hardly rank it: BM25 would give a
# word that is rare in subjects (yet common in titles) more weight than the title itself.
OTHER_FIELD_SCORE = 0.1
_FACET_FIELDS = {"unit": "unit", "available": "shelf_unit", "lang": "lang", "clc": "clc_top", "type": "item_type"}
WRITER_HEAP = 64 * 1024 * 1024


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("record_id", stored=True, indexed=True, fast=True)
    for name in (*_TEXT_FIELDS, "pinyin_t", "isbn_t", "callno_t"):
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="freq")
    for name in ("unit", "shelf_unit", "lang", "clc_top", "item_type"):
        sb.add_text_field(name, stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("year", stored=False, indexed=True, fast=True)
    sb.add_integer_field("title_rank", stored=False, indexed=False, fast=True)
    sb.add_text_field("doc", stored=True, tokenizer_name="raw", index_option="basic")
    return sb.build()


def _tokens(terms: list[str]) -> tantivy.PreTokenizedString:
    tokens, offset = [], 0
    for position, term in enumerate(terms):
        tokens.append(tantivy.Token(term, position, offset, offset + len(term)))
        offset += len(term) + 1
    return tantivy.PreTokenizedString(" ".join(terms), tokens)


class EmbeddedEngine:
    def __init__(self, path: Path):
        path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index_ = tantivy.Index(self.schema, path=str(path))
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ writing
    def _write(self, work: Callable[[tantivy.IndexWriter], None]) -> None:
        """Run ``work`` with a writer and commit. The writer (and tantivy's directory lock) is
        held only this long, so the relay and `ils reindex` can take turns; a writer that
        finds the lock taken fails, and the outbox retries the message later."""
        with self._lock:
            writer = self.index_.writer(WRITER_HEAP, 1)
            try:
                work(writer)
                writer.commit()
            finally:
                writer.wait_merging_threads()
        self.index_.reload()

    def index(self, documents: list[SearchDocument]) -> None:
        if not documents:
            return

        def work(writer: tantivy.IndexWriter) -> None:
            for d in documents:
                writer.delete_documents_by_term("record_id", d.record_id)
                writer.add_document(self._document(d))

        self._write(work)

    def _document(self, d: SearchDocument) -> tantivy.Document:
        doc = tantivy.Document(
            record_id=d.record_id, unit=d.units, shelf_unit=d.units_on_shelf, item_type=d.item_types,
            title_rank=d.title_rank, doc=json.dumps(d.display(), ensure_ascii=False),
        )
        if d.language:
            doc.add_text("lang", d.language)
        if d.clc_top:
            doc.add_text("clc_top", d.clc_top)
        if d.year is not None:
            doc.add_integer("year", d.year)
        for name, terms in (("title_t", d.title_terms), ("author_t", d.author_terms), ("other_t", d.other_terms),
                            ("pinyin_t", d.pinyin_terms), ("isbn_t", d.isbn_terms),
                            ("callno_t", d.call_number_terms)):
            if terms:
                doc.add_pre_tokenized_text(name, _tokens(terms))
        return doc

    def delete(self, record_ids: list[int]) -> None:
        def work(writer: tantivy.IndexWriter) -> None:
            for rid in record_ids:
                writer.delete_documents_by_term("record_id", rid)

        self._write(work)

    def clear(self) -> None:
        self._write(lambda writer: writer.delete_all_documents())

    def count(self) -> int:
        return self.index_.searcher().num_docs

    def close(self) -> None:
        """Nothing stays open between writes; kept so callers can release an engine explicitly."""

    # ------------------------------------------------------------------ searching
    def _term(self, field: str, value: Any) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value)

    def _all_of(self, queries: list[tantivy.Query]) -> tantivy.Query:
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])

    def _any_of(self, queries: list[tantivy.Query]) -> tantivy.Query:
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])

    def _text_query(self, analysed: AnalysedQuery) -> tantivy.Query | None:
        alternatives: list[tantivy.Query] = []
        if analysed.text:
            # Every term must match somewhere (title, author or other); where it matches
            # decides the score. Segmented words only add to the score.
            # (dis-max: a term counts by its best field, so a word repeated in a series or
            # subject does not outweigh the title)
            must = [
                tantivy.Query.disjunction_max_query([
                    tantivy.Query.boost_query(self._term("title_t", t), _TEXT_FIELDS["title_t"]),
                    tantivy.Query.boost_query(self._term("author_t", t), _TEXT_FIELDS["author_t"]),
                    tantivy.Query.const_score_query(self._term("other_t", t), OTHER_FIELD_SCORE),
                ])
                for t in analysed.text
            ]
            should = [self._term("title_t", w) for w in analysed.ranking]
            # A title that holds the whole query ranks above one that matches only partly
            # in its title and the rest in a series or subject.
            should.append(tantivy.Query.boost_query(
                self._all_of([self._term("title_t", t) for t in analysed.text]), 4.0))
            alternatives.append(tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, q) for q in must] + [(tantivy.Occur.Should, q) for q in should]
            ))
        if analysed.pinyin:
            terms = [self._term("pinyin_t", t) for t in analysed.pinyin]
            if len(analysed.pinyin) == 1 and len(analysed.pinyin[0]) >= 3:
                # "honglou" finds 红楼梦 by the start of its joined pinyin.
                terms = [self._any_of([terms[0], tantivy.Query.regex_query(
                    self.schema, "pinyin_t", f"{analysed.pinyin[0]}[a-z]*")])]
            alternatives.append(self._all_of(terms))
        if analysed.isbn:
            alternatives.append(tantivy.Query.boost_query(self._term("isbn_t", analysed.isbn), 10.0))
        if analysed.call_number:
            alternatives.append(self._term("callno_t", analysed.call_number))
        if not alternatives:
            return None
        return alternatives[0] if len(alternatives) == 1 else self._any_of(alternatives)

    def _filters(self, query: SearchQuery) -> list[tantivy.Query]:
        filters: list[tantivy.Query] = []
        if query.available:
            filters.append(self._term("shelf_unit", query.unit) if query.unit
                           else tantivy.Query.exists_query("shelf_unit"))
        elif query.unit:
            filters.append(self._term("unit", query.unit))
        for field, value in (("lang", query.lang), ("clc_top", query.clc.upper() if query.clc else None),
                             ("item_type", query.type)):
            if value:
                filters.append(self._term(field, value))
        if query.year_from is not None or query.year_to is not None:
            filters.append(tantivy.Query.range_query(
                self.schema, "year", tantivy.FieldType.Integer,
                query.year_from if query.year_from is not None else -10_000,
                query.year_to if query.year_to is not None else 10_000,
            ))
        return filters

    def search(self, query: SearchQuery) -> SearchResult:
        analysed = analyse_query(query.q) if query.q.strip() else None
        text = self._text_query(analysed) if analysed else None
        if analysed and text is None:
            return SearchResult(0, [], {})
        parts = ([text] if text else []) + self._filters(query)
        self.index_.reload()  # see commits made by the relay in another process
        final = (self._all_of(parts) if len(parts) > 1 else parts[0]) if parts else tantivy.Query.all_query()
        searcher = self.index_.searcher()
        size = max(1, min(query.size, 100))
        offset = (max(query.page, 1) - 1) * size
        kwargs: dict[str, Any] = {"count": True, "offset": offset}
        if query.sort == "newest" or (query.sort == "relevance" and text is None):
            kwargs.update(order_by_field="year", order=tantivy.Order.Desc)
        elif query.sort == "title":
            kwargs.update(order_by_field="title_rank", order=tantivy.Order.Asc)
        result = searcher.search(final, size, **kwargs)
        hits = []
        for score, address in result.hits:
            stored = searcher.doc(address)
            document = json.loads(stored["doc"][0])
            hits.append(SearchHit(
                record_id=document["record_id"], score=float(score) if isinstance(score, float) else 0.0,
                document=document,
                highlight=highlight(document["title"], analysed) if analysed else document["title"],
            ))
        return SearchResult(result.count, hits, self._facets(searcher, final))

    def _facets(self, searcher: tantivy.Searcher, query: tantivy.Query) -> dict[str, dict[str, int]]:
        aggs: dict[str, Any] = {name: {"terms": {"field": field, "size": 200}} for name, field in _FACET_FIELDS.items()}
        aggs["decade"] = {"histogram": {"field": "year", "interval": 10}}
        raw = searcher.aggregate(query, aggs)
        facets = {
            name: {str(b["key"]): b["doc_count"] for b in raw.get(name, {}).get("buckets", [])}
            for name in _FACET_FIELDS
        }
        facets["decade"] = {
            str(int(b["key"])): b["doc_count"] for b in raw.get("decade", {}).get("buckets", []) if b["doc_count"]
        }
        return facets
