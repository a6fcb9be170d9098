"""What other packages (logistics, circulation) may use of the catalogue. Nothing else of
``catalog`` is imported from outside it (import-linter checks this)."""

from catalog.item_states import TRANSITIONS, check_transition
from catalog.items import (
    get_item,
    items_of_record,
    lock_item,
    lock_item_id,
    move_item,
    on_status_edit,
    on_status_edited,
    read_item,
)
from catalog.models import ITEM_STATUSES, ITEM_TYPES, Item, Record
from catalog.records import get_record, read_record, record_title
from catalog.search.engine import SearchQuery, SearchResult
from catalog.search.service import get_engine as search_engine

__all__ = [
    "ITEM_STATUSES", "ITEM_TYPES", "TRANSITIONS", "Item", "Record", "check_transition", "get_item", "get_record",
    "items_of_record", "lock_item", "lock_item_id", "move_item", "on_status_edit", "on_status_edited", "read_item",
    "read_record", "record_title",
    "SearchQuery", "SearchResult", "search_engine",
]
