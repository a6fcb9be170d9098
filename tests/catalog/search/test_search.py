"""Search behaviour, fed through the outbox like production. Runs against the embedded
backend always (and on both databases, which the documents are built from)."""

from __future__ import annotations

import csv
import os
import uuid

import pytest

from catalog.importer import ImportOptions, import_marc
from catalog.search.embedded import EmbeddedEngine
from catalog.search.engine import SearchQuery
from catalog.search.service import index_lag, outbox_handler, reindex
from ils.clock import get_clock
from ils.outbox import Relay, Subscriptions
from tests.support.factories import make_network
from tests.support.marc import cnmarc, iso2709
from tests.support.shared_data import shared_path


@pytest.fixture(params=["embedded", "meilisearch"])
def engine(request, tmp_path):
    """The same behaviour is required of both backends. There is no Meilisearch server on the
    development machines or in CI: its runs happen only where ILS_TEST_MEILISEARCH_URL is set."""
    if request.param == "embedded":
        engine = EmbeddedEngine(tmp_path / "index")
        yield engine
        engine.close()
        return
    url = os.environ.get("ILS_TEST_MEILISEARCH_URL")
    if not url:
        pytest.skip("no Meilisearch server: set ILS_TEST_MEILISEARCH_URL to run these against one")
    from catalog.search.meili import MeiliEngine

    engine = MeiliEngine(url, os.environ.get("ILS_TEST_MEILISEARCH_KEY"), index_uid=f"test_{uuid.uuid4().hex[:10]}")
    yield engine
    engine.client.wait_for_task(engine.client.delete_index(engine.uid).task_uid)


def deliver(db, engine) -> int:
    """Run the outbox relay with the search subscriber, as `ils serve` does."""
    subs = Subscriptions()
    subs.subscribe("records.changed", outbox_handler(db, engine))
    return Relay(db, subs, clock=get_clock()).run_until_idle()


def titles(result) -> list[str]:
    return [h.document["title"] for h in result.hits]


@pytest.fixture
def bnu(db, engine):
    with shared_path("unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030.iso").open("rb") as f:
        import_marc(db, f, ImportOptions(filename="bnu.iso"))
    deliver(db, engine)
    return engine


@pytest.mark.parametrize("query", [
    "中国发展报告", "中國發展報告", "发展报告", "zhongguofazhanbaogao", "zhong guo fa zhan bao gao", "zgfzbg",
    "zhongguofa", "国家统计局",
])
def test_cnmarc_sample_found_by_words_traditional_pinyin_initials_and_author(bnu, query):
    result = bnu.search(SearchQuery(q=query))
    assert result.total >= 8, f"{query!r} found {titles(result)}"


@pytest.mark.parametrize("isbn", ["9787503717444", "978-7-5037-1744-4", "7-5037-1744-0", "7503717440", "ISBN 7503717440"])
def test_isbn_in_any_form_finds_exactly_its_record(bnu, isbn):
    result = bnu.search(SearchQuery(q=isbn))
    assert titles(result) == ["'94中国发展报告"]


def test_a_name_with_a_middle_dot_is_found_without_it(db, engine):
    import_marc(db, iso2709([cnmarc("简·爱", author="夏洛蒂·勃朗特")]), ImportOptions(filename="a.iso"))
    deliver(db, engine)
    for query in ("简爱", "简·爱", "勃朗特", "夏洛蒂勃朗特", "jian ai", "ja"):
        assert titles(engine.search(SearchQuery(q=query))) == ["简·爱"], query


def test_highlight_marks_the_matched_words_in_the_catalogued_title(bnu):
    hit = bnu.search(SearchQuery(q="發展報告")).hits[0]
    assert "<em>发展报告</em>" in hit.highlight


def _shelf(db):
    """A small network catalogue with copies, years, languages, classes and item types."""
    make_network(db)
    records = [
        cnmarc("红楼梦", isbn="9787020002207", year="1996", clc="I242.4", holdings=[("DC", "H1"), ("DC-TD", "H2")]),
        cnmarc("三国演义", author="罗贯中", year="1998", clc="I242.4", holdings=[("DC", "S1")]),
        cnmarc("平凡的世界", author="路遥", year="2012", clc="I247.5", holdings=[("DC-WL", "P1")]),
        cnmarc("农作物病虫害防治", author="李明", year="2019", clc="S43", holdings=[("DC-TD", "N1")]),
        cnmarc("东川泥石流", author="东川区志办", year="2021", clc="P642", holdings=[("DC", "D1")]),
    ]
    english = cnmarc("Pride and prejudice", author="Austen", year="2003", clc="I561.4", holdings=[("DC", "E1")])
    english["101"]["a"] = "eng"
    records.append(english)
    children = records[2]
    children.get_fields("905")[0].add_subfield("t", "children")
    import_marc(db, iso2709(records), ImportOptions(filename="shelf.iso"))


def test_filters_facets_sort_and_paging(db, engine):
    _shelf(db)
    deliver(db, engine)
    everything = engine.search(SearchQuery())
    assert everything.total == 6
    assert everything.facets["unit"] == {"DC": 4, "DC-TD": 2, "DC-WL": 1}
    assert everything.facets["lang"] == {"chi": 5, "eng": 1}
    assert everything.facets["clc"] == {"I": 4, "S": 1, "P": 1}
    assert everything.facets["type"] == {"book": 5, "children": 1}
    assert everything.facets["decade"] == {"1990": 2, "2000": 1, "2010": 2, "2020": 1}

    assert set(titles(engine.search(SearchQuery(unit="DC-TD")))) == {"红楼梦", "农作物病虫害防治"}
    assert titles(engine.search(SearchQuery(lang="eng"))) == ["Pride and prejudice"]
    assert set(titles(engine.search(SearchQuery(year_from=2010, year_to=2020)))) == {"平凡的世界", "农作物病虫害防治"}
    assert titles(engine.search(SearchQuery(clc="s"))) == ["农作物病虫害防治"]
    assert titles(engine.search(SearchQuery(type="children"))) == ["平凡的世界"]
    assert titles(engine.search(SearchQuery(sort="newest", size=2))) == ["东川泥石流", "农作物病虫害防治"]
    assert titles(engine.search(SearchQuery(sort="newest", size=2, page=2))) == ["平凡的世界", "Pride and prejudice"]
    by_pinyin = titles(engine.search(SearchQuery(sort="title", lang="chi")))
    assert by_pinyin == ["东川泥石流", "红楼梦", "农作物病虫害防治", "平凡的世界", "三国演义"]
    assert titles(engine.search(SearchQuery(q="I242"))) and set(titles(engine.search(SearchQuery(q="I242")))) == {"红楼梦", "三国演义"}


def test_hit_carries_copies_and_on_shelf_per_unit_and_follows_status_changes(db, engine, client):
    from tests.support.factories import staff

    _shelf(db)
    deliver(db, engine)
    hit = engine.search(SearchQuery(q="红楼梦")).hits[0]
    assert hit.document["holdings"] == [{"unit": "DC", "copies": 1, "on_shelf": 1}, {"unit": "DC-TD", "copies": 1, "on_shelf": 1}]
    assert engine.search(SearchQuery(q="红楼梦", unit="DC-TD", available=True)).total == 1

    # A copy leaves the shelf: the change goes through the outbox to the index.
    headers = staff(client, db, "librarian", ("DC-TD",))
    response = client.patch("/api/v1/items/H2", json={"status": "damaged"}, headers=headers)
    assert response.status_code == 200, response.text
    assert engine.search(SearchQuery(q="红楼梦", unit="DC-TD", available=True)).total == 1  # not yet delivered
    deliver(db, engine)
    hit = engine.search(SearchQuery(q="红楼梦")).hits[0]
    assert {"unit": "DC-TD", "copies": 1, "on_shelf": 0} in hit.document["holdings"]
    assert engine.search(SearchQuery(q="红楼梦", unit="DC-TD", available=True)).total == 0
    assert engine.search(SearchQuery(q="红楼梦", available=True)).total == 1  # still on the shelf at DC


def test_an_index_fed_by_the_outbox_survives_a_crash_between_commit_and_delivery(db, tmp_path):
    make_network(db)
    first = EmbeddedEngine(tmp_path / "crash")
    import_marc(db, iso2709([cnmarc("围城", author="钱钟书", year="1991")]), ImportOptions(filename="a.iso"))
    # The process dies here: the record is committed, its outbox message not yet delivered.
    first.close()
    del first
    assert index_lag(db)["pending_changes"] == 1
    restarted = EmbeddedEngine(tmp_path / "crash")
    assert restarted.search(SearchQuery(q="围城")).total == 0
    deliver(db, restarted)
    assert restarted.search(SearchQuery(q="围城")).total == 1
    assert restarted.search(SearchQuery(q="wc")).total == 1
    assert index_lag(db)["pending_changes"] == 0


def test_delivering_the_same_change_twice_leaves_one_document(db, engine):
    make_network(db)
    result = import_marc(db, iso2709([cnmarc("围城", author="钱钟书")]), ImportOptions(filename="a.iso"))
    handler = outbox_handler(db, engine)
    from ils.outbox.models import OutboxMessage

    message = OutboxMessage(topic="records.changed", key="x", payload={"created": result.record_ids})
    handler(message)
    handler(message)
    assert engine.count() == 1


def test_reindex_rebuilds_from_the_database(db, engine):
    _shelf(db)
    engine.index([])  # nothing delivered yet
    done = []
    assert reindex(db, engine, lambda n, total: done.append((n, total))) == 6
    assert engine.count() == 6 and done[-1] == (6, 6)


def _real_titles(limit: int) -> list[str]:
    """Chinese titles from real book data, one per work (titles that differ only in punctuation,
    like 简爱 and 简·爱, would be merged into one record on import)."""
    from catalog.marc import match_key

    seen: dict[str, str] = {}
    for name in ("dzy_books.csv", "douban_tag_lists_subset.csv"):
        with shared_path("books_zh", name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                title = row["title"].strip()
                if title and any("\u4e00" <= c <= "\u9fff" for c in title):
                    seen.setdefault(match_key(title, "佚名", None, 2008), title)
                if len(seen) >= limit:
                    return list(seen.values())
    return list(seen.values())


@pytest.mark.parametrize("title,query", [
    ("南京市长江大桥", "市长"), ("人类简史：从动物到上帝", "类简史"), ("百年孤独", "年孤"), ("长安十二时辰", "十二时"),
    ("乡土中国", "土中"), ("白夜行", "夜行"), ("平凡的世界", "的世界"), ("额尔古纳河右岸", "纳河右"),
    ("追风筝的人", "风筝的人"), ("沉默的大多数", "默的大"), ("江城子·密州出猎", "密州"),
])
def test_titles_the_segmenter_splits_badly_are_found_by_any_part(db, engine, title, query):
    import_marc(db, iso2709([cnmarc(title, author="佚名")]), ImportOptions(filename="a.iso"))
    deliver(db, engine)
    assert titles(engine.search(SearchQuery(q=query))) == [title]


def test_recall_every_real_title_is_found_by_its_text_and_its_initials(db, engine):
    from catalog.search.analysis import pinyin_of

    real = _real_titles(3000)
    records = [cnmarc(t, author="佚名", control=f"R{n}") for n, t in enumerate(real)]
    result = import_marc(db, iso2709(records), ImportOptions(filename="real.iso"))
    assert len(real) == 3000 and result.imported == len(real)  # one record per title, in file order
    deliver(db, engine)

    def found(query: str, record_id: int) -> bool:
        return record_id in [h.record_id for h in engine.search(SearchQuery(q=query, size=100)).hits]

    missed_text = [t for t, rid in zip(real, result.record_ids) if not found(t, rid)]
    assert missed_text == []
    missed_initials = [t for t, rid in zip(real, result.record_ids) if not found(pinyin_of(t).initials, rid)]
    assert missed_initials == []
