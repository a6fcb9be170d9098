"""ID card numbers never reach the logs, even when a client puts one in a URL."""

from __future__ import annotations

import logging

from ils.logs import mask_id_cards


def test_an_id_card_number_in_an_access_log_line_is_masked_and_barcodes_are_not():
    line = '127.0.0.1:5000 - "GET /api/v1/patrons/11010519491231002X HTTP/1.1" 200'
    assert mask_id_cards(line) == '127.0.0.1:5000 - "GET /api/v1/patrons/110105********002X HTTP/1.1" 200'
    assert mask_id_cards("/api/v1/items/0100000022") == "/api/v1/items/0100000022"
    assert mask_id_cards("/desk/checkout?card=DC00000001") == "/desk/checkout?card=DC00000001"


def test_the_access_logger_of_the_served_app_masks_id_numbers(client, caplog):
    # the app (made by the client fixture) puts the filter on uvicorn's access logger
    logger = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        # uvicorn's access log passes the path as an argument of the record
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET", "/api/v1/patrons/530113199001011230", "1.1", 404)
    assert "530113199001011230" not in caplog.text and "530113********1230" in caplog.text
