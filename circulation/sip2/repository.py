"""The SQL the SIP2 answers need beyond circulation's own repository: lists of barcodes and titles
for a patron's summary, read in one query each rather than one per loan or hold."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.public import Item, Record


def barcodes(session: Session, item_ids: Collection[int]) -> dict[int, str]:
    if not item_ids:
        return {}
    return {row.id: row.barcode for row in session.execute(select(Item.id, Item.barcode)
                                                            .where(Item.id.in_(set(item_ids))))}


def titles(session: Session, record_ids: Collection[int]) -> dict[int, str]:
    if not record_ids:
        return {}
    return {row.id: row.title for row in session.execute(select(Record.id, Record.title)
                                                          .where(Record.id.in_(set(record_ids))))}
