"""The ZeeRex explain record (http://explain.z3950.org/dtd/2.0/): how to talk to this server.

It names the server (host, port and database as the client reached them), the union
catalogue, the context sets and indexes with the relations each supports, the record schemas
and the paging defaults: everything a client needs to build a query without reading our docs.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from catalog.sru.query import CONTEXT_SETS, INDEXES, Index
from catalog.sru.schemas import DEFAULT_SCHEMA, SCHEMAS

ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"
ZEEREX_SCHEMA = ZEEREX_NS  # explain records are identified by their namespace
DEFAULT_MAXIMUM_RECORDS = 10
MAXIMUM_RECORDS_LIMIT = 100


@dataclass(frozen=True)
class Endpoint:
    """Where the client reached us: the base URL is http(s)://host:port/database."""

    scheme: str
    host: str
    port: int
    database: str

    @property
    def base_url(self) -> str:
        default_port = {"http": 80, "https": 443}.get(self.scheme)
        port = "" if self.port == default_port else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}/{self.database}"


def _add(parent: etree._Element, tag: str, text: str | None = None, /, **attributes: str) -> etree._Element:
    # Positional-only: ZeeRex attributes include "name", which must not collide with the tag.
    element = etree.SubElement(parent, f"{{{ZEEREX_NS}}}{tag}", attributes)
    element.text = text
    return element


def explain_record(endpoint: Endpoint) -> etree._Element:
    root = etree.Element(f"{{{ZEEREX_NS}}}explain", nsmap={"zr": ZEEREX_NS})
    _server_info(root, endpoint)
    _database_info(root)
    _index_info(root)
    _schema_info(root)
    _config_info(root)
    return root


def _server_info(root: etree._Element, endpoint: Endpoint) -> None:
    server = _add(root, "serverInfo", protocol="SRU", version="1.2", transport=endpoint.scheme, method="GET")
    _add(server, "host", endpoint.host)
    _add(server, "port", str(endpoint.port))
    _add(server, "database", endpoint.database)


def _database_info(root: etree._Element) -> None:
    info = _add(root, "databaseInfo")
    _add(info, "title", "县域总分馆联合目录", lang="zh", primary="true")
    _add(info, "title", "Union catalogue of the county library network", lang="en")
    _add(info, "description", "总馆统一编目的全部书目记录（CNMARC 与 MARC21）。", lang="zh", primary="true")
    _add(info, "description", "Every bibliographic record catalogued for the network, CNMARC and MARC21. "
         "Chinese terms match in simplified or traditional characters.", lang="en")


def _index_info(root: etree._Element) -> None:
    info = _add(root, "indexInfo")
    for context_set in CONTEXT_SETS:
        _add(info, "set", identifier=context_set.identifier, name=context_set.name)
    for index in INDEXES:
        _index(info, index)


def _index(parent: etree._Element, index: Index) -> None:
    element = _add(parent, "index", id=index.qualified, search="true", scan="false", sort="false")
    _add(element, "title", index.title_zh, lang="zh", primary="true")
    _add(element, "title", index.title_en, lang="en")
    mapping = _add(element, "map")
    _add(mapping, "name", index.name, set=index.context_set.name)
    config = _add(element, "configInfo")
    for relation in index.relations:
        _add(config, "supports", relation, type="relation")


def _schema_info(root: etree._Element) -> None:
    info = _add(root, "schemaInfo")
    for schema in SCHEMAS:
        element = _add(info, "schema", identifier=schema.identifier, name=schema.name, sort="false", retrieve="true")
        _add(element, "title", schema.title, lang="en")


def _config_info(root: etree._Element) -> None:
    config = _add(root, "configInfo")
    _add(config, "default", str(DEFAULT_MAXIMUM_RECORDS), type="numberOfRecords")
    _add(config, "default", DEFAULT_SCHEMA.identifier, type="retrieveSchema")
    _add(config, "default", "cql", type="contextSet")
    _add(config, "default", "cql.serverChoice", type="index")
    _add(config, "default", "=", type="relation")
    _add(config, "setting", str(MAXIMUM_RECORDS_LIMIT), type="maximumRecords")
    # Terms may use * and ? (masking) and ^ at either end (anchoring); see catalog.sru.terms.
    _add(config, "supports", type="maskingCharacter")
    _add(config, "supports", type="anchoring")
