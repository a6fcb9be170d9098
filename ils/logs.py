"""What the service writes to its logs must not carry readers' ID card numbers (身份证号).

The pages and the API take ID numbers in request bodies only (``POST /api/v1/patrons/lookup``,
the desk's forms), but a client may still put one in a URL (``GET /api/v1/patrons/<ID>``), and
the web server's access log writes every URL. This filter masks anything shaped like an ID card
number in every record of the loggers it is put on, as the API masks them in answers."""

from __future__ import annotations

import logging
import re

# 17 digits and a check character, not inside a longer run of digits or letters (a barcode).
ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
ACCESS_LOGGERS = ("uvicorn.access", "uvicorn.error", "ils")


def mask_id_cards(text: str) -> str:
    return ID_CARD.sub(r"\1********\2", text)


class MaskIdCards(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(mask_id_cards(a) if isinstance(a, str) else a for a in (
                record.args if isinstance(record.args, tuple) else (record.args,)))
        if isinstance(record.msg, str):
            record.msg = mask_id_cards(record.msg)
        return True


_filter = MaskIdCards()


def mask_logs() -> None:
    """Put the filter on the web server's and the service's loggers (idempotent)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
