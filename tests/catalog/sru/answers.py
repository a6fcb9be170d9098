"""Reading SRU responses in tests: GET /sru and the parts of the XML a client looks at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

SRW = "http://www.loc.gov/zing/srw/"
DIAG = "http://www.loc.gov/zing/srw/diagnostic/"
MARC = "http://www.loc.gov/MARC21/slim"
UNIMARC = "info:srw/schema/8/unimarcxml-v0.1"
DC = "http://purl.org/dc/elements/1.1/"
ZEEREX = "http://explain.z3950.org/dtd/2.0/"
XCQL = "http://www.loc.gov/zing/cql/xcql/"
NS = {"srw": SRW, "diag": DIAG, "marc": MARC, "uni": UNIMARC, "dc": DC, "zr": ZEEREX, "xcql": XCQL}


@dataclass
class Answer:
    root: etree._Element

    def text(self, path: str) -> str | None:
        return self.root.findtext(path, namespaces=NS)

    @property
    def total(self) -> int:
        return int(self.text("srw:numberOfRecords") or -1)

    @property
    def next_position(self) -> int | None:
        value = self.text("srw:nextRecordPosition")
        return int(value) if value is not None else None

    @property
    def records(self) -> list[etree._Element]:
        return self.root.findall("srw:records/srw:record", NS)

    @property
    def positions(self) -> list[int]:
        return [int(r.findtext("srw:recordPosition", namespaces=NS)) for r in self.records]

    @property
    def diagnostics(self) -> list[tuple[str, str | None, str | None]]:
        """(uri, details, message) of the response's diagnostics (not surrogates)."""
        return [_diagnostic(d) for d in self.root.findall("srw:diagnostics/diag:diagnostic", NS)]

    @property
    def codes(self) -> list[int]:
        return [int(uri.rsplit("/", 1)[1]) for uri, _, _ in self.diagnostics]

    def data(self) -> list[etree._Element]:
        """The element inside each recordData (xml packing)."""
        return [r.find("srw:recordData", NS)[0] for r in self.records]

    def titles(self) -> list[str]:
        """Titles of the records, from MARC21 245 $a, UNIMARC 200 $a or dc:title."""
        found = []
        for data in self.data():
            values = (data.xpath("marc:datafield[@tag='245']/marc:subfield[@code='a']/text()", namespaces=NS)
                      or data.xpath("uni:datafield[@tag='200']/uni:subfield[@code='a']/text()", namespaces=NS)
                      or data.xpath("dc:title/text()", namespaces=NS))
            found.append(values[0].rstrip(" /:;,.") if values else "")
        return found


def _diagnostic(element: etree._Element) -> tuple[str, str | None, str | None]:
    return (element.findtext("diag:uri", namespaces=NS), element.findtext("diag:details", namespaces=NS),
            element.findtext("diag:message", namespaces=NS))


def sru(client: Any, url: str = "/sru", **params: Any) -> Answer:
    """GET /sru; every SRU answer, diagnostics included, is HTTP 200 with text/xml."""
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml"), response.headers["content-type"]
    return Answer(etree.fromstring(response.content))


def search(client: Any, query: str, **params: Any) -> Answer:
    return sru(client, **{"operation": "searchRetrieve", "version": "1.2", "query": query, **params})


def search_all(client: Any, query: str, **params: Any) -> Answer:
    """A search asking for as many records as the server gives in one page."""
    return search(client, query, **{"maximumRecords": 100, **params})
