"""Search indexing rate and query latency of the embedded backend.

    .venv/bin/python bench/search_bench.py [--records 100000 1000000] [--queries 2000]

Builds catalogues of N records varied from real titles, authors and publishers
(../shared/data/books_zh when present, else the demo catalogue shipped in ils/demo), with
copies spread over the demo network's units, indexes them with the same analysis and engine
the service uses, then runs a mix of queries a library sees — Chinese words, whole titles,
traditional characters, pinyin, initials, ISBNs, call-number prefixes, half of them with a
filter (unit, on the shelf now, language, year range or class) — each with facets, and prints
records/s indexed and p50/p95/p99 latency. Documents are built in memory, not read from a
database, so the figures are the search engine's own.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("ILS_SHARED_DATA", ROOT.parent / "shared" / "data"))
CLASSES = ["A81", "B84", "D6", "F12", "G25", "I242.4", "I247.5", "I287", "I313", "I561", "I712", "K20", "K29",
           "O1", "R2", "S43", "S8", "TP31", "TS97", "TU2", "Z22"]


def _sources() -> list[tuple[str, str, str]]:
    """(title, author, publisher) of real books."""
    rows: list[tuple[str, str, str]] = []
    douban = SHARED / "books_zh" / "douban_tag_lists_subset.csv"
    dzy = SHARED / "books_zh" / "dzy_books.csv"
    if douban.exists():
        with douban.open(encoding="utf-8") as f:
            rows += [(r["title"], r["authors"], r["publisher"]) for r in csv.DictReader(f)]
        with dzy.open(encoding="utf-8") as f:
            rows += [(r["title"], r["authors"], r["publisher"]) for r in csv.DictReader(f)]
    else:
        from ils.demo.marc_builder import load_works

        rows += [(w.title, "; ".join(w.authors), w.publisher) for w in load_works()]
    return [r for r in rows if r[0].strip()]


def _isbn13(n: int) -> str:
    body = f"9787{n:08d}"[:12]
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    return body + str(check)


def build_documents(count: int, seed: int = 7):  # type: ignore[no-untyped-def]
    from catalog.search.analysis import (
        call_number_terms,
        isbn_terms,
        pinyin_of,
        text_terms,
    )
    from catalog.search.documents import SearchDocument
    from ils.demo.marc_builder import load_network

    rng = random.Random(seed)
    sources = _sources()
    units = [u["code"] for u in load_network()["units"] if u["code"].startswith("DC")]
    cache: dict[str, tuple[list[str], list[str], list[str], str]] = {}
    for n in range(count):
        title, author, publisher = sources[n % len(sources)]
        edition = n // len(sources)
        if edition:
            title = f"{title}（第{edition + 1}版）"
        key = title + "\x00" + author
        if key not in cache:
            py = pinyin_of(title)
            cache[key] = (text_terms(title), text_terms(author), py.terms() + pinyin_of(author.split(";")[0]).terms(),
                          py.joined or title.lower())
        title_t, author_t, pinyin_t, title_pinyin = cache[key]
        clc = rng.choice(CLASSES)
        call_number = f"{clc}/{rng.randint(1, 3000)}"
        isbn = _isbn13(n)
        holdings = []
        for unit in rng.sample(units, rng.randint(1, 4)):
            copies = rng.randint(1, 3)
            holdings.append({"unit": unit, "copies": copies, "on_shelf": rng.randint(0, copies)})
        yield SearchDocument(
            record_id=n + 1, version=1, title=title, authors=[author], responsibility=author, publisher=publisher,
            year=rng.randint(1950, 2025), language="chi" if rng.random() < 0.93 else "eng", isbns=[isbn], clc=clc,
            clc_top=clc[0], call_number=call_number, item_types=["children" if rng.random() < 0.15 else "book"],
            holdings=sorted(holdings, key=lambda h: h["unit"]), title_terms=title_t, author_terms=author_t,
            other_terms=text_terms(publisher) if n < 50_000 else [], pinyin_terms=pinyin_t,
            isbn_terms=isbn_terms([isbn]), call_number_terms=call_number_terms(call_number), title_pinyin=title_pinyin,
        )


def queries(count: int, seed: int = 11):  # type: ignore[no-untyped-def]
    import opencc

    from catalog.search.analysis import pinyin_of
    from catalog.search.engine import SearchQuery

    rng = random.Random(seed)
    to_traditional = opencc.OpenCC("s2t")
    titles = [t for t, _, _ in _sources() if any("\u4e00" <= c <= "\u9fff" for c in t)][:5000]
    units = ["DC", "DC-TD", "DC-WL", "DC-SF", "DC-TD-01"]
    out = []
    for n in range(count):
        title = rng.choice(titles)
        kind = n % 8
        if kind == 0:
            q = title
        elif kind == 1:
            start = rng.randrange(max(1, len(title) - 2))
            q = title[start : start + 2]
        elif kind == 2:
            q = to_traditional.convert(title)
        elif kind == 3:
            q = pinyin_of(title).joined[:8] or title
        elif kind == 4:
            q = pinyin_of(title).initials or title
        elif kind == 5:
            q = " ".join(pinyin_of(title).syllables[:3]) or title
        elif kind == 6:
            q = _isbn13(rng.randrange(100_000))
        else:
            q = rng.choice(CLASSES)[:3]
        filters = {}
        if n % 2:
            choice = n % 5
            filters = [{"unit": rng.choice(units)}, {"available": True, "unit": rng.choice(units)}, {"lang": "chi"},
                       {"year_from": 2000, "year_to": 2020}, {"clc": "I"}][choice]
        out.append(SearchQuery(q=q, **filters))
    return out


def run(records: int, n_queries: int) -> None:
    from catalog.search.embedded import EmbeddedEngine

    with tempfile.TemporaryDirectory() as tmp:
        engine = EmbeddedEngine(Path(tmp) / "index")
        batch: list = []
        start = time.perf_counter()
        for document in build_documents(records):
            batch.append(document)
            if len(batch) == 10_000:
                engine.index(batch)
                batch = []
        engine.index(batch)
        index_s = time.perf_counter() - start
        mix = queries(n_queries)
        for q in mix[:50]:
            engine.search(q)  # warm the caches
        latencies = []
        hits = 0
        for q in mix:
            t = time.perf_counter()
            result = engine.search(q)
            latencies.append((time.perf_counter() - t) * 1000)
            hits += result.total > 0
        latencies.sort()
        pct = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]  # noqa: E731
        size_mb = sum(f.stat().st_size for f in (Path(tmp) / "index").rglob("*") if f.is_file()) / 1e6
        print(f"{records:>9,} records: indexed {records / index_s:,.0f} rec/s ({index_s:.0f} s, {size_mb:.0f} MB); "
              f"{n_queries} queries, {hits / n_queries:.0%} with hits: p50 {pct(50):.1f} ms, p95 {pct(95):.1f} ms, "
              f"p99 {pct(99):.1f} ms, mean {statistics.mean(latencies):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    for records in args.records:
        run(records, args.queries)


if __name__ == "__main__":
    main()
