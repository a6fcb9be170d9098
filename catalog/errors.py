"""Stable error codes of the catalogue (the MARC codec's own codes are in catalog.marc.codes)."""

from __future__ import annotations

CODES: dict[str, str] = {
    "RECORD_NOT_FOUND": "No record has that id.",
    "IMPORT_NOT_FOUND": "No import has that batch id.",
    "RECORD_VERSION_STALE": "The record changed since it was read (If-Match does not match): reload and redo the edit.",
    "RECORD_PRECONDITION_REQUIRED": "An update must send If-Match with the ETag it read, so it cannot overwrite a colleague's edit.",
    "RECORD_ISBN_TAKEN": "Another record already carries that ISBN; edit or merge that record instead.",
    "RECORD_FLAVOUR_INVALID": "The flavour is not marc21 or cnmarc.",
    "ITEM_NOT_FOUND": "No item has that barcode.",
    "ITEM_BARCODE_TAKEN": "Another item already has that barcode (barcodes are unique in the network).",
    "ITEM_TRANSITION_INVALID": "The copy cannot go from its current status to the one asked (see the item state machine).",
    # A staff status edit never leaves a loan, a transit or a hold behind: it is refused, nothing
    # changes, and the code says which circulation step to take instead.
    "ITEM_ON_LOAN_CHECK_IN_FIRST": "The copy is on loan: check it in first (or mark it lost, or claims returned) instead of editing its status.",
    "ITEM_LOST_CHECK_IN_FIRST": "The copy is lost on a reader's record: check it in when it turns up, which closes the loan and waives the charge.",
    "ITEM_CLAIMED_RETURNED_CHECK_IN_FIRST": "The reader claims to have returned the copy: check it in when it turns up (that closes the loan), or mark it lost.",
    "ITEM_IN_TRANSIT_RECEIVE_FIRST": "The copy is in transit: receive it (check it in) where it is, or mark it missing in transit.",
    "ITEM_ON_HOLD_SHELF_CANCEL_HOLD_FIRST": "The copy waits on a hold shelf for a reader: lend it to them, or cancel the hold first.",
    "ITEM_TYPE_INVALID": "The item type is not one of the known types.",
    "ITEM_UNIT_UNKNOWN": "A holding names a unit code the network does not have; the copy was not created.",
    "ITEM_UNIT_MISSING": "A holding names no unit and the import gave no default unit; the copy was not created.",
    "ITEM_BARCODE_MISSING": "A holding has no barcode; the copy was not created.",
    "IMPORT_FILE_TOO_LARGE": "The upload is larger than ILS_MAX_UPLOAD_MB (refused before it is read); import it with `ils import-marc` on the server.",
    "IMPORT_NOT_MARC": "The first records of the file are mostly not MARC: the import stopped and imported nothing (the batch keeps the reason).",
    "EXPORT_FORMAT_INVALID": "The export format is not iso2709, marcxml, marc21xml or json.",
}
