"""GET /sru: the union catalogue over SRU 1.2 (explain and searchRetrieve), for library systems."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from catalog.sru.explain import DEFAULT_MAXIMUM_RECORDS, MAXIMUM_RECORDS_LIMIT, Endpoint
from catalog.sru.protocol import respond
from catalog.sru.schemas import SCHEMAS
from ils.db import Database
from ils.http import Now, Public, database

router = APIRouter(tags=["sru"])
DATABASE = "sru"


def _parameter(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string", **schema}}


# Documented by hand: the endpoint reads the raw parameters, because an SRU server answers a
# malformed one with a diagnostic, not with the 422 FastAPI's validation would give.
PARAMETERS = [
    _parameter("operation", "explain (default) or searchRetrieve", enum=["explain", "searchRetrieve"]),
    _parameter("version", "1.2 (default) or 1.1", enum=["1.2", "1.1"]),
    _parameter("query", "CQL, e.g. `dc.title = 红楼梦 and dc.creator = 曹雪芹` (searchRetrieve)"),
    _parameter("startRecord", "Position of the first record to return, from 1"),
    _parameter("maximumRecords", f"How many records (default {DEFAULT_MAXIMUM_RECORDS}, "
               f"at most {MAXIMUM_RECORDS_LIMIT})"),
    _parameter("recordSchema", "Record schema: short name or identifier",
               enum=[s.name for s in SCHEMAS] + [s.identifier for s in SCHEMAS]),
    _parameter("recordPacking", "xml (default) or string", enum=["xml", "string"]),
]


@router.get(
    "/sru",
    response_class=Response,
    openapi_extra={"parameters": PARAMETERS},
    responses={200: {"description": "An SRU explainResponse or searchRetrieveResponse; errors are SRU "
                     "diagnostics inside it (http://www.loc.gov/standards/sru/diagnostics/)",
                     "content": {"text/xml": {}}}},
)
def sru(request: Request, db: Annotated[Database, Depends(database)], now: Now, _: Public) -> Response:
    """Search the union catalogue with SRU 1.2 (http://www.loc.gov/standards/sru/): `explain`
    describes the server (ZeeRex), `searchRetrieve` takes a CQL query over the indexes
    cql.serverChoice, cql.anywhere, dc.title, dc.creator, dc.subject, bath.isbn and rec.id and
    returns MARCXML (CNMARC crosswalked to MARC21), Dublin Core or UNIMARC XML. No login needed."""
    url = request.url
    endpoint = Endpoint(url.scheme, url.hostname or "localhost", url.port or (443 if url.scheme == "https" else 80),
                        DATABASE)
    body = respond(request.query_params.multi_items(), endpoint, db, now)
    return Response(body, media_type="text/xml; charset=utf-8")
