"""SRU from a real `ils serve` over a TCP socket, the way a library system's client reaches it."""

from __future__ import annotations

import httpx
from lxml import etree

from tests.catalog.sru.answers import NS, Answer
from tests.support.live_server import live_server


def test_searchretrieve_over_http_finds_a_chinese_title_and_explain_names_the_port(db, classics):
    with live_server(db.url) as url:
        with httpx.Client(base_url=url, timeout=30) as http:
            response = http.get("/sru", params={"operation": "searchRetrieve", "version": "1.2",
                                                "query": "dc.title = 紅樓夢 and dc.creator = 曹雪芹",
                                                "recordSchema": "dc"})
            explain = http.get("/sru")
    assert response.status_code == 200 and response.headers["content-type"] == "text/xml; charset=utf-8"
    answer = Answer(etree.fromstring(response.content))
    assert answer.total == 2 and sorted(answer.titles()) == ["紅樓夢", "红楼梦"]
    port = url.rsplit(":", 1)[1]
    server = Answer(etree.fromstring(explain.content)).root.find(".//zr:serverInfo", NS)
    assert server.findtext("zr:host", namespaces=NS) == "127.0.0.1"
    assert server.findtext("zr:port", namespaces=NS) == port
