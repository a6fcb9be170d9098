"""The OpenAPI description says what the app sends: the error body of every refusal, the statuses
an operation can answer, and what ``GET /records/{id}?format=...`` returns. Answers are checked
against the published description with schemathesis, as the fuzz test does."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from tests.support.factories import staff
from tests.support.marc import cnmarc, to_dict

ERROR = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def description() -> dict[str, Any]:
    from ils.app import create_app

    return create_app().openapi()


def operations(description: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in description["paths"].items() for method, op in item.items()]


def error_schema(response: dict[str, Any]) -> str | None:
    return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")


def test_every_operation_documents_its_422_as_the_body_the_app_sends(description):
    assert "HTTPValidationError" not in description["components"]["schemas"]
    undocumented = [f"{m} {p}" for m, p, op in operations(description) if error_schema(op["responses"].get("422", {})) != ERROR]
    assert not undocumented, undocumented
    error = description["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "detail", "blocks"}
    assert error["properties"]["detail"]["type"] == "string" and error["properties"]["fields"]["anyOf"][0]["type"] == "array"


def test_every_documented_error_status_has_the_error_body(description):
    wrong = [f"{m} {p} {status}" for m, p, op in operations(description) for status, response in op["responses"].items()
             if status[0] in "45" and error_schema(response) != ERROR]
    assert not wrong, wrong


def test_operations_needing_credentials_declare_401_and_403_and_writes_409(description):
    for method, path, op in operations(description):
        if op.get("security"):
            assert {"401", "403"} <= set(op["responses"]), f"{method} {path}"
    assert "409" in description["paths"]["/api/v1/circulation/checkout"]["post"]["responses"]
    assert "404" in description["paths"]["/api/v1/holds/{hold_id}"]["get"]["responses"]
    assert {"412", "428"} <= set(description["paths"]["/api/v1/records/{record_id}"]["put"]["responses"])
    public = description["paths"]["/api/v1/records"]["get"]["responses"]
    assert "401" not in public and "404" not in public


def test_ids_and_offsets_are_bounded_in_the_description(description):
    record_id = description["paths"]["/api/v1/records/{record_id}"]["get"]["parameters"][0]
    assert record_id["schema"]["minimum"] == 1 and record_id["schema"]["maximum"] == 2**31 - 1
    offset = next(p for p in description["paths"]["/api/v1/records"]["get"]["parameters"] if p["name"] == "offset")
    assert offset["schema"]["maximum"] == 2**63 - 1


def _check(client: Any, method: str, path: str, response: Any) -> None:
    """The answer conforms to the operation in the app's own published description."""
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    schema[path][method].validate_response(response)


def test_validation_refusals_match_the_documented_error_schema(client):
    response = client.get("/api/v1/records", params={"offset": -1})
    assert response.status_code == 422 and response.json()["fields"][0]["loc"] == ["query", "offset"]
    _check(client, "GET", "/api/v1/records", response)
    response = client.post("/api/v1/auth/token", json={"username": "a\u0000"})
    assert response.status_code == 422
    _check(client, "POST", "/api/v1/auth/token", response)


def test_an_unreadable_body_is_a_documented_422_not_an_undocumented_400(client, db):
    admin = staff(client, db, "admin")
    response = client.post("/api/v1/patrons/DC00000001/blocks", content=b"\xff\xfe",
                           headers={**admin, "Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["error"] == "VALIDATION_FAILED", response.text
    _check(client, "POST", "/api/v1/patrons/{card}/blocks", response)


@pytest.mark.parametrize("format,media", [(None, "application/json"), ("json", "application/json"),
                                          ("marcxml", "application/marcxml+xml"), ("iso2709", "application/marc")])
def test_a_record_in_each_format_is_what_the_description_says(client, db, format, media):
    admin = staff(client, db, "admin")
    made = client.post("/api/v1/records", headers=admin, json={"flavour": "cnmarc", "marc": to_dict(cnmarc("红楼梦"))})
    assert made.status_code == 201, made.text
    response = client.get(f"/api/v1/records/{made.json()['id']}", params={"format": format} if format else {})
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    _check(client, "GET", "/api/v1/records/{record_id}", response)
    if format == "json":
        assert response.json()[0]["leader"]
