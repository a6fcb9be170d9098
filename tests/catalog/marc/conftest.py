"""Helpers for the MARC tests: read a shared data file into (read, rejected) lists."""

from __future__ import annotations

import pytest

from catalog.marc.reader import MarcFile, ReadRecord, RejectedRecord
from tests.support.shared_data import shared_path


def read_all(*parts: str, **kwargs) -> tuple[list[ReadRecord], list[RejectedRecord]]:
    path = shared_path(*parts)
    with open(path, "rb") as stream:
        results = list(MarcFile(stream, name=path.name, **kwargs))
    read = [r for r in results if isinstance(r, ReadRecord)]
    rejected = [r for r in results if isinstance(r, RejectedRecord)]
    return read, rejected


@pytest.fixture(scope="session")
def cnmarc_dp2() -> list[ReadRecord]:
    read, _ = read_all("unimarc_cnmarc", "dp2", "sample_cnmarcxml.xml")
    return read
