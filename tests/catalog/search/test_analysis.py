"""Chinese-aware analysis: what the index stores and what a query looks for."""

from __future__ import annotations

import csv

import pytest

from catalog.search.analysis import (
    analyse_query,
    call_number_terms,
    fold,
    isbn_terms,
    pinyin_of,
    text_terms,
)
from tests.support.shared_data import shared_path


def matches(query: str, title: str, given_pinyin: str | None = None) -> bool:
    """Would the query find the title, judged on terms alone (as every backend does): all its
    text terms match, or (for a Latin-letter query) all its pinyin terms do."""
    q = analyse_query(query)
    terms = set(text_terms(title))
    by_text = bool(q.text) and all(t in terms for t in q.text)
    py = pinyin_of(title, given_pinyin).terms()
    by_pinyin = bool(q.pinyin) and all(t in py for t in q.pinyin)
    return by_text or by_pinyin


def test_traditional_and_full_width_fold_to_simplified_half_width():
    assert fold("紅樓夢") == "红楼梦"
    assert fold("ＩＳＢＮ ９７８－７") == "isbn 978-7"
    assert fold("Café") == "cafe"
    assert text_terms("紅樓夢") == text_terms("红楼梦")


@pytest.mark.parametrize("query", ["红楼梦", "紅樓夢", "楼梦", "红楼", "hongloumeng", "hong lou meng", "hlm", "HLM"])
def test_hongloumeng_is_found_every_way_a_reader_types_it(query):
    assert matches(query, "红楼梦")


@pytest.mark.parametrize("query", ["三国", "hlmx", "xiyouji", "红楼梦魇"])
def test_other_queries_do_not_match_hongloumeng(query):
    assert not matches(query, "红楼梦")


def test_some_of_the_syllables_still_match():
    assert matches("hong lou", "红楼梦")


# Titles that a word segmenter splits differently from the way a reader cuts the query; the
# bigrams make them match anyway.
BADLY_SPLIT = [
    ("南京市长江大桥", "市长"),          # segmenter: 南京市 / 长江大桥; reader: 市长
    ("人类简史：从动物到上帝", "类简"),
    ("活着", "活着"),
    ("百年孤独", "年孤"),
    ("长安十二时辰", "十二时"),
    ("乡土中国", "土中"),
    ("白夜行", "夜行"),
    ("围城", "围"),
    ("平凡的世界", "的世界"),
    ("额尔古纳河右岸", "纳河右"),
    ("追风筝的人", "风筝的人"),
    ("沉默的大多数", "默的大"),
]


@pytest.mark.parametrize("title,query", BADLY_SPLIT)
def test_a_query_matches_however_the_segmenter_split_the_title(title, query):
    assert matches(query, title)


def test_record_pinyin_wins_over_computed_for_polyphones():
    # pypinyin reads the surname 曾 as "ceng"; the cataloguer's $A says "zeng".
    assert pinyin_of("曾国藩家书").initials == "cgfjs"
    given = pinyin_of("曾国藩家书", "Zeng guo fan jia shu")
    assert given.joined == "zengguofanjiashu" and given.initials == "zgfjs"
    assert matches("zgfjs", "曾国藩家书", "Zeng guo fan jia shu")
    assert not matches("cgfjs", "曾国藩家书", "Zeng guo fan jia shu")
    assert pinyin_of("Pride and Prejudice").terms() == []


def test_isbn_and_call_number_terms():
    assert isbn_terms(["7-02-000220-X", "978-7-02-000220-7"]) == ["9787020002207", "702000220x"]
    assert isbn_terms(["not an isbn"]) == []
    assert call_number_terms("I242.4/12") == ["i", "i2", "i24", "i242", "i242.4", "i242.4/12"]
    assert "tp3" in call_number_terms("TP311.13/5")


@pytest.mark.parametrize("query,isbn", [("978-7-02-000220-7", "9787020002207"), ("7-02-000220-X", "9787020002207"),
                                        ("ISBN 9787020002207", "9787020002207"), ("９７８７０２０００２２０７", "9787020002207")])
def test_isbn_queries_in_any_form_normalise_to_isbn13(query, isbn):
    assert analyse_query(query).isbn == isbn


def test_call_number_query_is_recognised():
    assert analyse_query("I242").call_number == "i242"
    assert analyse_query("TP311.1").call_number == "tp311.1"
    assert analyse_query("红楼梦").call_number is None


def _titles():
    path = shared_path("books_zh", "dzy_books.csv")
    with path.open(encoding="utf-8") as f:
        return [row["title"] for row in csv.DictReader(f) if row["title"].strip()]


def test_recall_every_real_title_matches_its_own_text_and_initials():
    titles = _titles()
    assert len(titles) > 2000
    misses = [t for t in titles if not matches(t, t)]
    assert misses == []
    han = [t for t in titles if pinyin_of(t).initials]
    missed_initials = [t for t in han if not matches(pinyin_of(t).initials, t)]
    assert len(han) > 1500 and missed_initials == []
