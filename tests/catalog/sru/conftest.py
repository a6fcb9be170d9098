"""Catalogues for the SRU tests: real MARC from ../shared/data and a few records of our own."""

from __future__ import annotations

import pytest
from pymarc import Field, Indicators, Subfield

from catalog.importer import ImportOptions, import_marc
from ils.db import Database
from tests.support.marc import cnmarc, iso2709
from tests.support.shared_data import shared_path


def import_shared(db: Database, *parts: str) -> None:
    with shared_path(*parts).open("rb") as f:
        result = import_marc(db, f, ImportOptions(filename=parts[-1]))
    assert result.imported > 0


@pytest.fixture
def bnu(db: Database) -> Database:
    """Ten real CNMARC records of 中国发展报告 (Beijing Normal University, GB18030): nine after merging."""
    import_shared(db, "unimarc_cnmarc", "derived", "bnu_cnmarc_gb18030.iso")
    return db


@pytest.fixture
def camel(db: Database) -> Database:
    """The ten real MARC21 records of Perl books (LC, MARC-8) that marc-perl tests with."""
    import_shared(db, "marc21", "marc-perl", "marc-lint", "camel.usmarc")
    return db


@pytest.fixture
def austen(db: Database) -> Database:
    """383 real records of Pride and prejudice and its translations (353 after merging), among them
    Chinese ones in simplified (傲慢与偏见) and traditional characters (傲慢與偏見)."""
    import_shared(db, "marc21", "marc4j", "pride-and-prejudice-fixed.mrc")
    return db


@pytest.fixture
def classics(db: Database) -> Database:
    """Chinese classics catalogued here as CNMARC, one in traditional characters."""
    records = [
        cnmarc("红楼梦", isbn="9787020002207", author="曹雪芹", year="1996", control="H1"),
        cnmarc("紅樓夢", isbn="9789573207382", author="曹雪芹", publisher="遠流出版", year="1990", control="H2"),
        cnmarc("三国演义", author="罗贯中", clc="I242.4", year="1998", control="S1"),
        cnmarc("Python编程：从入门到实践", author="马瑟斯", clc="TP311.561", year="2016", control="P1"),
    ]
    records[2].add_field(Field(tag="606", indicators=Indicators("0", " "),
                            subfields=[Subfield("a", "章回小说"), Subfield("y", "中国"), Subfield("z", "明代")]))
    result = import_marc(db, iso2709(records), ImportOptions(filename="classics.iso"))
    assert result.imported == 4
    return db
