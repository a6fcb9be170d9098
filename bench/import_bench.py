"""MARC import throughput and memory, beside pymarc's parse-only rate on the same file.

    .venv/bin/python bench/import_bench.py [--records 100000] [--database-url URL]

Builds two files of N records by varying real records from ../shared/data (a UTF-8 file and
a MARC-8 file; each copy gets its own 001 and a numbered title so every record is new to the
catalogue), then for each file:
  1. pymarc parse-only: MARCReader(to_unicode=True) over the whole file;
  2. our full import (read, detect, extract, de-duplicate, write records, versions, sources,
     outbox) into a fresh database (SQLite file by default);
and prints records/s for both and the ratio. Peak memory is measured by importing a file of
N/5 and of N records in child processes and comparing their peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("ILS_SHARED_DATA", ROOT.parent / "shared" / "data"))

SOURCES = {
    # real records to vary: (files, encoding)
    "utf-8": ["marc21/marc4j/pride-and-prejudice-fixed.mrc", "marc21/yaz/marccol1.u8.marc",
              "marc21/solrmarc/fields_700_4_samp.mrc"],
    "marc-8": ["marc21/solrmarc/uva_001_2000.mrc", "marc21/solrmarc/specTestRecs.mrc"],
}


def _records(encoding: str) -> list[bytes]:
    import pymarc

    raws: list[bytes] = []
    for rel in SOURCES[encoding]:
        data = (SHARED / rel).read_bytes()
        for chunk in data.split(b"\x1d"):
            chunk = chunk.lstrip(b"\r\n\x1a ")
            if len(chunk) < 30:
                continue
            try:
                pymarc.Record(chunk + b"\x1d", to_unicode=True, force_utf8=encoding == "utf-8")
            except Exception:
                continue  # only well-formed records make a fair benchmark
            raws.append(chunk + b"\x1d")
    return raws


def build_file(encoding: str, count: int, path: Path) -> None:
    """Vary real records: new 001 and a numbered 245 $a, bytes otherwise untouched."""
    import pymarc

    raws = _records(encoding)
    utf8 = encoding == "utf-8"
    with path.open("wb") as out:
        for n in range(count):
            raw = raws[n % len(raws)]
            # MARC-8 records stay undecoded (bytes), so their bytes are written back unchanged.
            record = pymarc.Record(raw, to_unicode=utf8, force_utf8=utf8)
            tag = (lambda t: t) if utf8 else (lambda t: t.encode("ascii"))
            for f in record.get_fields("001"):
                record.remove_field(f)
            record.add_ordered_field(pymarc.Field(tag="001", data=tag(f"BENCH{n:08d}")))
            for f in record.get_fields("245"):
                for i, sf in enumerate(f.subfields):
                    if sf.code == "a":
                        f.subfields[i] = pymarc.Subfield("a", sf.value + tag(f" [{n}]"))
                        break
            for f in record.get_fields("020"):
                record.remove_field(f)  # varied copies must not merge on a shared ISBN
            out.write(record.as_marc())


def pymarc_rate(path: Path, encoding: str) -> tuple[int, float]:
    import pymarc

    start = time.perf_counter()
    n = 0
    with path.open("rb") as f:
        for record in pymarc.MARCReader(f, to_unicode=True, force_utf8=encoding == "utf-8"):
            n += record is not None
    return n, time.perf_counter() - start


def import_rate(path: Path, url: str) -> dict:
    from catalog.importer import (
        ImportOptions,
        import_marc,
        prepare_process_for_bulk_import,
    )
    from ils.db import Database
    from ils.migrate import upgrade

    upgrade(url)
    prepare_process_for_bulk_import()  # as `ils import-marc` does
    database = Database.from_url(url)
    start = time.perf_counter()
    with path.open("rb") as f:
        result = import_marc(database, f, ImportOptions(filename=path.name, actor="bench"))
    elapsed = time.perf_counter() - start
    database.dispose()
    return {"read": result.read, "imported": result.imported, "merged": result.merged,
            "rejected": result.rejected, "seconds": elapsed,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _fresh_url(base: str | None, tmp: Path) -> tuple[str, callable]:
    if not base:
        return f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"ils_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--database-url", help="PostgreSQL server URL to create bench databases on (default: SQLite)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # import one file in this process and report (for peak memory)
        path, url = args.child.split("|", 1)
        print(json.dumps(import_rate(Path(path), url)))
        return

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        print(f"{'file':<10} {'records':>8} {'pymarc rec/s':>13} {'import rec/s':>13} {'ratio':>6} {'rejected':>8}")
        for encoding in ("utf-8", "marc-8"):
            path = tmp / f"bench-{encoding}.mrc"
            build_file(encoding, args.records, path)
            parsed, parse_s = pymarc_rate(path, encoding)
            url, drop = _fresh_url(args.database_url, tmp)
            try:
                r = import_rate(path, url)
            finally:
                drop()
            p_rate, i_rate = parsed / parse_s, r["read"] / r["seconds"]
            print(f"{encoding:<10} {r['read']:>8} {p_rate:>13,.0f} {i_rate:>13,.0f} {i_rate / p_rate:>6.0%} {r['rejected']:>8}")

        print("\npeak memory of a whole import in a child process (flat = independent of file size):")
        for count in (args.records // 5, args.records):
            path = tmp / f"mem-{count}.mrc"
            build_file("utf-8", count, path)
            url, drop = _fresh_url(args.database_url, tmp)
            try:
                out = subprocess.run([sys.executable, __file__, "--child", f"{path}|{url}"],
                                     capture_output=True, text=True, check=True).stdout
            finally:
                drop()
            r = json.loads(out.strip().splitlines()[-1])
            print(f"  {count:>8} records, {path.stat().st_size / 1e6:7.1f} MB file: peak RSS {r['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
