"""Every route — each operation of the OpenAPI description and each page — against every kind of
account and every reach: own unit (DC-TD), the rest of the system (DC-WL), another system (XD).

Each route declares the operation it performs (ils.auth.gate). For each route this test sends a
real request about objects at each of the three units, as each account, and requires the answer
to be what the gate's table decides for that operation, that account and those units: refused
(403, or a page sending the visitor to log in or choose a desk) exactly when the table says so,
and never a server error. A route that declares no operation, or that has no scenario here,
fails — so a new endpoint cannot arrive without a scope decision."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute

from ils.auth import gate
from ils.errors import Forbidden
from tests.support.world import (  # noqa: F401 (fixtures)
    PASSWORD,
    READER_PASSWORD,
    REL_UNIT,
    ROLES,
    STOPS,
    TAG,
    World,
    world_copy,
    world_template,
)

# FastAPI's own documentation routes and the static files: not ours to scope.
EXEMPT = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
EXEMPT_PREFIXES = ("/static", "/docs/")


@dataclass
class Req:
    method: str
    url: str
    json: Any = None
    params: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # The units the operation touches, by their role in it (ils.auth.gate), and the reader's card.
    units: dict[str, str | None] = field(default_factory=dict)
    card: str | None = None
    desk: str | None = None  # a page's desk unit (the unit cookie)
    fresh_login: bool = False  # the request ends the login (log out): log in again before each
    json_for: Callable[[str], Any] | None = None  # a body that depends on who sends it
    # The answer narrows to the units of this system the login may read (the evaluation): refused
    # only when it may read none of them.
    narrows_to_system: str | None = None


Scenario = Callable[[World, str], Req]


def _system(unit: str) -> str:
    """The 总馆 of a unit of the test world (DC-TD and DC-WL are DC's; XD is its own)."""
    return unit.split("-")[0]


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # an included router (FastAPI 0.16x keeps them as such)
            include = route.include_context
            yield from _walk(route.original_router.routes, prefix + (getattr(include, "prefix", "") or ""))


def routes() -> list[tuple[str, str, APIRoute]]:
    from ils.app import create_app

    app = create_app()
    found = []
    for path, route in _walk(app.router.routes):
        if path in EXEMPT or path.startswith(EXEMPT_PREFIXES):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, path, route))
    return found


def operation_of(route: APIRoute) -> tuple[str | None, str | None]:
    """(operation, page audience) a route declares through its dependencies."""
    names: list[tuple[str, str | None]] = []

    def visit(dependant: Any) -> None:
        for dep in dependant.dependencies:
            name = gate.declared(dep.call) if dep.call is not None else None
            if name is not None:
                who = dep.call.__name__.split("_allows_")[0] if "_allows_" in dep.call.__name__ else None
                names.append((name, who))
            visit(dep)

    visit(route.dependant)
    assert len({n for n, _ in names}) <= 1, f"{route.path} declares several operations: {names}"
    return names[0] if names else (None, None)


# ---- the scenarios: one per route ----------------------------------------------------------------

def _rec(w: World, u: str, kind: str = "A") -> int:
    return w.records[f"{kind}{TAG[u]}"]


def _password(role: str) -> str:
    return READER_PASSWORD if role == "reader" else PASSWORD


def _marc_file() -> dict[str, Any]:
    from tests.support.marc import cnmarc, iso2709

    return {"file": ("one.iso", iso2709([cnmarc("上传的书", control="U1")]).getvalue(), "application/marc")}


def _gate_file(unit: str) -> dict[str, Any]:
    return {"file": ("gate.csv", f"unit,date,hour,in,out\n{unit},2026-11-20,,40,38\n".encode(), "text/csv")}


API: dict[tuple[str, str], Scenario] = {
    # public and one's own account
    ("GET", "/api/v1/health"): lambda w, u: Req("GET", "/api/v1/health"),
    ("POST", "/api/v1/auth/token"): lambda w, u: Req("POST", "/api/v1/auth/token", json={
        "card_number": w.reader("DC-TD"), "password": READER_PASSWORD}),
    ("GET", "/api/v1/auth/me"): lambda w, u: Req("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/logout"): lambda w, u: Req("POST", "/api/v1/auth/logout", fresh_login=True),
    ("POST", "/api/v1/auth/password"): lambda w, u: Req("POST", "/api/v1/auth/password", fresh_login=True, json_for=(
        lambda role: {"current_password": _password(role), "new_password": _password(role)})),
    ("GET", "/api/v1/units"): lambda w, u: Req("GET", "/api/v1/units"),
    ("GET", "/api/v1/units/{code}"): lambda w, u: Req("GET", f"/api/v1/units/{u}"),
    ("GET", "/api/v1/records"): lambda w, u: Req("GET", "/api/v1/records"),
    ("GET", "/api/v1/records/{record_id}"): lambda w, u: Req("GET", f"/api/v1/records/{_rec(w, u)}"),
    ("GET", "/api/v1/search"): lambda w, u: Req("GET", "/api/v1/search", params={"q": "读者"}),
    ("GET", "/sru"): lambda w, u: Req("GET", "/sru", params={"operation": "explain"}),
    # administration
    ("GET", "/api/v1/users"): lambda w, u: Req("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"): lambda w, u: Req("POST", "/api/v1/users", json={
        "username": f"new-{TAG[u].lower()}", "password": "password-456", "role": "librarian", "units": [u]}),
    ("GET", "/api/v1/api-keys"): lambda w, u: Req("GET", "/api/v1/api-keys"),
    ("POST", "/api/v1/api-keys"): lambda w, u: Req("POST", "/api/v1/api-keys", json={
        "name": "k", "scopes": ["records:read"], "units": [u]}),
    ("DELETE", "/api/v1/api-keys/{key_id}"): lambda w, u: Req("DELETE", f"/api/v1/api-keys/{w.ids['api_key']}"),
    ("POST", "/api/v1/units"): lambda w, u: Req("POST", "/api/v1/units", json={
        "code": f"{u}-NEW", "name": "新服务点", "level": "service_point", "parent": u}),
    ("PATCH", "/api/v1/units/{code}"): lambda w, u: Req("PATCH", f"/api/v1/units/{u}", json={"population": 1000}),
    ("GET", "/api/v1/sip2/accounts"): lambda w, u: Req("GET", "/api/v1/sip2/accounts"),
    ("POST", "/api/v1/sip2/accounts"): lambda w, u: Req("POST", "/api/v1/sip2/accounts", json={
        "login": f"sc-new-{TAG[u].lower()}", "password": "machine-pass-2", "unit": u}),
    ("PATCH", "/api/v1/sip2/accounts/{login}"): lambda w, u: Req(
        "PATCH", f"/api/v1/sip2/accounts/sc-{TAG[u].lower()}", json={"active": False}),
    ("DELETE", "/api/v1/sip2/accounts/{login}"): lambda w, u: Req(
        "DELETE", f"/api/v1/sip2/accounts/sc-{TAG[u].lower()}"),
    # rules and policies
    ("GET", "/api/v1/patron-categories"): lambda w, u: Req("GET", "/api/v1/patron-categories"),
    ("PUT", "/api/v1/patron-categories/{code}"): lambda w, u: Req(
        "PUT", "/api/v1/patron-categories/child", json={"code": "child", "name": "少儿读者"}),
    ("GET", "/api/v1/circulation-rules"): lambda w, u: Req("GET", "/api/v1/circulation-rules"),
    ("PUT", "/api/v1/circulation-rules"): lambda w, u: Req("PUT", "/api/v1/circulation-rules", json={
        "unit_code": u, "loan_days": 14, "max_items": 5}),
    ("DELETE", "/api/v1/circulation-rules/{rule_id}"): lambda w, u: Req(
        "DELETE", f"/api/v1/circulation-rules/{w.ids['rule']}"),
    ("GET", "/api/v1/circulation-rules/explain"): lambda w, u: Req(
        "GET", "/api/v1/circulation-rules/explain", params={"unit": u, "patron_category": "adult", "item_type": "book"}),
    ("GET", "/api/v1/policies/explain"): lambda w, u: Req("GET", "/api/v1/policies/explain", params={
        "card": w.reader(u), "barcode": w.copy(u, "A3"), "unit": u}),
    ("GET", "/api/v1/return-policies"): lambda w, u: Req("GET", "/api/v1/return-policies"),
    ("PUT", "/api/v1/return-policies"): lambda w, u: Req("PUT", "/api/v1/return-policies", json={
        "system_code": "DC", "policy": "float"}),
    ("DELETE", "/api/v1/return-policies/{policy_id}"): lambda w, u: Req(
        "DELETE", f"/api/v1/return-policies/{w.ids['policy']}"),
    ("GET", "/api/v1/float-limits"): lambda w, u: Req("GET", "/api/v1/float-limits"),
    ("PUT", "/api/v1/float-limits"): lambda w, u: Req("PUT", "/api/v1/float-limits", json={
        "unit": u, "max_copies": 10}),
    ("GET", "/api/v1/float-groups"): lambda w, u: Req("GET", "/api/v1/float-groups"),
    ("PUT", "/api/v1/float-groups/{code}"): lambda w, u: Req("PUT", "/api/v1/float-groups/G1", json={
        "name": "组", "units": [u]}),
    # the catalogue
    ("POST", "/api/v1/records/import"): lambda w, u: Req("POST", "/api/v1/records/import", files=_marc_file(),
                                                           data={"unit": u}),
    ("GET", "/api/v1/imports/{batch_id}"): lambda w, u: Req("GET", f"/api/v1/imports/{w.ids['import']}"),
    ("GET", "/api/v1/imports/{batch_id}/issues"): lambda w, u: Req("GET", f"/api/v1/imports/{w.ids['import']}/issues"),
    ("POST", "/api/v1/records"): lambda w, u: Req("POST", "/api/v1/records", json={"flavour": "cnmarc", "marc": {
        "leader": "00000nam0 2200000   450 ", "fields": [{"200": {"ind1": "1", "ind2": " ",
                                                                 "subfields": [{"a": f"新书{u}"}]}}]}}),
    ("GET", "/api/v1/records/export"): lambda w, u: Req("GET", "/api/v1/records/export"),
    ("PUT", "/api/v1/records/{record_id}"): lambda w, u: Req("PUT", f"/api/v1/records/{_rec(w, u)}", json={"marc": {
        "leader": "00000nam0 2200000   450 ", "fields": []}}),
    ("GET", "/api/v1/records/{record_id}/versions"): lambda w, u: Req("GET", f"/api/v1/records/{_rec(w, u)}/versions"),
    ("GET", "/api/v1/records/{record_id}/sources"): lambda w, u: Req("GET", f"/api/v1/records/{_rec(w, u)}/sources"),
    ("POST", "/api/v1/items"): lambda w, u: Req("POST", "/api/v1/items", json={
        "barcode": f"{TAG[u]}-NEW", "record_id": _rec(w, u), "unit": u}, units={"owner": u}),
    ("PATCH", "/api/v1/items/{barcode}"): lambda w, u: Req("PATCH", f"/api/v1/items/{w.copy(u, 'A3')}", json={
        "status": "damaged"}, units={"owner": u, "here": u}),
    ("GET", "/api/v1/items/{barcode}"): lambda w, u: Req("GET", f"/api/v1/items/{w.copy(u, 'A3')}"),
    ("GET", "/api/v1/locations/{barcode}"): lambda w, u: Req("GET", f"/api/v1/locations/{w.copy(u, 'A3')}"),
    ("POST", "/api/v1/distribution/plans"): lambda w, u: Req("POST", "/api/v1/distribution/plans", json={
        "name": "x", "method": "quota", "reason": "distribution", "barcodes": [w.copy(u, "A5")], "units": [u],
        "quotas": {u: 1}}, units={"owner": u, "target": u}),
    ("GET", "/api/v1/distribution/plans/{plan_id}"): lambda w, u: Req("GET", f"/api/v1/distribution/plans/{w.plans[u]}"),
    ("POST", "/api/v1/distribution/plans/{plan_id}/execute"): lambda w, u: Req(
        "POST", f"/api/v1/distribution/plans/{w.plans[u]}/execute", units={"owner": u, "target": u}),
    # readers
    ("POST", "/api/v1/patrons"): lambda w, u: Req("POST", "/api/v1/patrons", json={
        "card_number": f"N{TAG[u]}00001", "name": "新读者", "category": "adult", "unit": u}, units={"home": u}),
    ("GET", "/api/v1/patrons/{card}"): lambda w, u: Req("GET", f"/api/v1/patrons/{w.reader(u)}", card=w.reader(u)),
    ("POST", "/api/v1/patrons/lookup"): lambda w, u: Req("POST", "/api/v1/patrons/lookup",
                                                          json={"card": w.reader(u)}, card=w.reader(u)),
    # A search by name touches other readers: a reader (who may look up only their own card) never may.
    ("POST", "/api/v1/patrons/search"): lambda w, u: Req("POST", "/api/v1/patrons/search",
                                                          json={"q": f"读者{w.other_reader(u)}"}, card=w.other_reader(u)),
    ("PATCH", "/api/v1/patrons/{card}"): lambda w, u: Req("PATCH", f"/api/v1/patrons/{w.reader(u)}", json={
        "name": "改名"}, units={"home": u}),
    ("POST", "/api/v1/patrons/{card}/blocks"): lambda w, u: Req("POST", f"/api/v1/patrons/{w.reader(u)}/blocks",
                                                                 json={"reason": "读者证挂失"}, units={"home": u}),
    ("DELETE", "/api/v1/patrons/{card}/blocks/{block_id}"): lambda w, u: Req(
        "DELETE", f"/api/v1/patrons/{w.other_reader(u)}/blocks/{w.blocks[u]}", units={"home": u}),
    ("POST", "/api/v1/patrons/{card}/proxies"): lambda w, u: Req(
        "POST", f"/api/v1/patrons/{w.other_reader(u)}/proxies", json={"proxy_card_number": w.reader(u)},
        units={"home": u}),
    ("DELETE", "/api/v1/patrons/{card}/proxies/{proxy_card}"): lambda w, u: Req(
        "DELETE", f"/api/v1/patrons/{w.reader(u)}/proxies/{w.other_reader(u)}", units={"home": u}),
    ("GET", "/api/v1/patrons/{card}/loans"): lambda w, u: Req("GET", f"/api/v1/patrons/{w.reader(u)}/loans",
                                                               card=w.reader(u)),
    ("GET", "/api/v1/patrons/{card}/holds"): lambda w, u: Req("GET", f"/api/v1/patrons/{w.reader(u)}/holds",
                                                               card=w.reader(u)),
    ("GET", "/api/v1/patrons/{card}/fines"): lambda w, u: Req("GET", f"/api/v1/patrons/{w.reader(u)}/fines",
                                                               card=w.reader(u)),
    ("POST", "/api/v1/patrons/{card}/payments"): lambda w, u: Req(
        "POST", f"/api/v1/patrons/{w.reader(u)}/payments", json={"amount_fen": 1, "unit": u},
        units={"desk": u, "home": u}),
    # circulation
    ("POST", "/api/v1/circulation/checkout"): lambda w, u: Req("POST", "/api/v1/circulation/checkout", json={
        "card": w.other_reader(u), "barcode": w.copy(u, "A3"), "unit": u}, units={"desk": u}),
    ("POST", "/api/v1/circulation/checkout/preview"): lambda w, u: Req(
        "POST", "/api/v1/circulation/checkout/preview", json={
            "card": w.other_reader(u), "barcode": w.copy(u, "A3"), "unit": u}, units={"desk": u}),
    ("POST", "/api/v1/circulation/checkin"): lambda w, u: Req("POST", "/api/v1/circulation/checkin", json={
        "barcode": w.copy(u, "A1"), "unit": u}, units={"desk": u}),
    ("POST", "/api/v1/circulation/renew"): lambda w, u: Req("POST", "/api/v1/circulation/renew", json={
        "barcode": w.copy(u, "A1")}, units={"lending": u, "home": u}),
    ("POST", "/api/v1/circulation/lost"): lambda w, u: Req("POST", "/api/v1/circulation/lost", json={
        "barcode": w.copy(u, "A1")}, units={"lending": u, "home": u}),
    ("POST", "/api/v1/circulation/claims-returned"): lambda w, u: Req(
        "POST", "/api/v1/circulation/claims-returned", json={"barcode": w.copy(u, "A2")},
        units={"lending": u, "home": u}),
    ("POST", "/api/v1/transits/receive"): lambda w, u: Req("POST", "/api/v1/transits/receive", json={
        "barcode": w.copy(u, "X1"), "unit": u}, units={"unit": u}),
    ("POST", "/api/v1/transits/missing"): lambda w, u: Req("POST", "/api/v1/transits/missing", json={
        "barcode": w.copy(u, "X1")}, units={"from": "DC", "to": u}),
    ("POST", "/api/v1/holds"): lambda w, u: Req("POST", "/api/v1/holds", json={
        "card": w.other_reader(u), "record_id": _rec(w, u), "pickup_unit": u}, units={"pickup": u},
        card=w.other_reader(u)),
    ("GET", "/api/v1/holds"): lambda w, u: Req("GET", "/api/v1/holds", params={"pickup_unit": u}, units={"unit": u}),
    ("GET", "/api/v1/holds/{hold_id}"): lambda w, u: Req("GET", f"/api/v1/holds/{w.holds[u]}", card=w.reader(u)),
    ("DELETE", "/api/v1/holds/{hold_id}"): lambda w, u: Req("DELETE", f"/api/v1/holds/{w.holds[u]}",
                                                           units={"pickup": u, "home": u}, card=w.reader(u)),
    ("PATCH", "/api/v1/holds/{hold_id}"): lambda w, u: Req("PATCH", f"/api/v1/holds/{w.holds[u]}", json={
        "suspended_until": "2027-01-10"}, units={"pickup": u, "home": u}, card=w.reader(u)),
    ("POST", "/api/v1/holds/expire"): lambda w, u: Req("POST", "/api/v1/holds/expire", params={"unit": u},
                                                        units={"unit": u}),
    ("GET", "/api/v1/holds-pull-list"): lambda w, u: Req("GET", "/api/v1/holds-pull-list", params={"unit": u},
                                                          units={"unit": u}),
    # statistics
    ("GET", "/api/v1/reports/definitions"): lambda w, u: Req("GET", "/api/v1/reports/definitions"),
    ("GET", "/api/v1/reports/figures"): lambda w, u: Req("GET", "/api/v1/reports/figures",
                                                         params={"unit": u, "period": "2026"}, units={"unit": u}),
    ("GET", "/api/v1/reports/annual"): lambda w, u: Req("GET", "/api/v1/reports/annual",
                                                        params={"unit": u, "year": 2026}, units={"unit": u}),
    ("POST", "/api/v1/reports/annual/submit"): lambda w, u: Req(
        "POST", "/api/v1/reports/annual/submit", json={"unit": u, "year": 2026, "accept_blanks": True},
        units={"unit": u}),
    ("POST", "/api/v1/reports/annual/reopen"): lambda w, u: Req(
        "POST", "/api/v1/reports/annual/reopen", json={"unit": u, "year": 2026, "reason": "补录"}, units={"unit": u}),
    ("GET", "/api/v1/reports/assets"): lambda w, u: Req("GET", "/api/v1/reports/assets",
                                                        params={"unit": u, "year": 2026}, units={"unit": u}),
    ("GET", "/api/v1/reports/evaluation"): lambda w, u: Req(
        "GET", "/api/v1/reports/evaluation", params={"system": _system(u), "year": 2026},
        narrows_to_system=_system(u)),
    ("PUT", "/api/v1/reports/targets"): lambda w, u: Req(
        "PUT", "/api/v1/reports/targets", json={"system": _system(u), "indicator": "opening_hours",
                                                "level": "branch", "target": 48}, units={"unit": _system(u)}),
    # statistics entered by hand: visits, activities, annual fields
    ("POST", "/api/v1/visits/import"): lambda w, u: Req("POST", "/api/v1/visits/import", files=_gate_file(u),
                                                         units={"unit": u}),
    ("PUT", "/api/v1/visits"): lambda w, u: Req("PUT", "/api/v1/visits", json={
        "unit": u, "date": "2026-11-20", "in_count": 40}, units={"unit": u}),
    ("DELETE", "/api/v1/visits"): lambda w, u: Req("DELETE", "/api/v1/visits", params={"unit": u, "date": "2026-11-20"},
                                                   units={"unit": u}),
    ("GET", "/api/v1/visits"): lambda w, u: Req("GET", "/api/v1/visits", params={"unit": u}, units={"unit": u}),
    ("GET", "/api/v1/visits/rows"): lambda w, u: Req("GET", "/api/v1/visits/rows", params={
        "unit": u, "date": "2026-11-20"}, units={"unit": u}),
    ("GET", "/api/v1/annual-fields"): lambda w, u: Req("GET", "/api/v1/annual-fields", params={
        "unit": u, "year": 2025}, units={"unit": u}),
    ("PUT", "/api/v1/annual-fields"): lambda w, u: Req("PUT", "/api/v1/annual-fields", params={
        "unit": u, "year": 2025}, json={"values": {"seats": 40}}, units={"unit": u}),
    ("GET", "/api/v1/activity-types"): lambda w, u: Req("GET", "/api/v1/activity-types"),
    ("PUT", "/api/v1/activity-types/{code}"): lambda w, u: Req("PUT", f"/api/v1/activity-types/t_{TAG[u].lower()}",
                                                                json={"name_zh": "新类型", "name_en": "new"}),
    ("GET", "/api/v1/activities"): lambda w, u: Req("GET", "/api/v1/activities", params={"unit": u},
                                                    units={"unit": u}),
    ("POST", "/api/v1/activities"): lambda w, u: Req("POST", "/api/v1/activities", json={
        "type": "lecture", "title": "讲座", "unit": u, "held_on": "2026-11-21", "attendance": 12}, units={"unit": u}),
    ("GET", "/api/v1/activities/{activity_id}"): lambda w, u: Req("GET", f"/api/v1/activities/{w.activities[u]}",
                                                                  units={"unit": u}),
    ("PATCH", "/api/v1/activities/{activity_id}"): lambda w, u: Req(
        "PATCH", f"/api/v1/activities/{w.activities[u]}", json={"attendance": 21}, units={"unit": u}),
    ("DELETE", "/api/v1/activities/{activity_id}"): lambda w, u: Req(
        "DELETE", f"/api/v1/activities/{w.activities[u]}", units={"unit": u}),
    # logistics
    ("GET", "/api/v1/transits"): lambda w, u: Req("GET", "/api/v1/transits", params={"to": u}, units={"to": u}),
    ("GET", "/api/v1/transits/figures"): lambda w, u: Req("GET", "/api/v1/transits/figures", params={"unit": u},
                                                          units={"unit": u}),
    ("GET", "/api/v1/routes"): lambda w, u: Req("GET", "/api/v1/routes"),
    ("GET", "/api/v1/routes/{code}"): lambda w, u: Req("GET", f"/api/v1/routes/{STOPS[u][0]}"),
    ("PUT", "/api/v1/routes/{code}"): lambda w, u: Req("PUT", f"/api/v1/routes/N{TAG[u]}", json={
        "name": "新线", "weekdays": ["mon"], "stops": [{"unit": "DC"}, {"unit": u}]}),
    ("DELETE", "/api/v1/routes/{code}"): lambda w, u: Req("DELETE", f"/api/v1/routes/{STOPS[u][0]}"),
    ("GET", "/api/v1/runs"): lambda w, u: Req("GET", "/api/v1/runs", params={"date": "2026-11-23"}),
    ("POST", "/api/v1/runs/{route}/{day}/stops/{position}"): lambda w, u: Req(
        "POST", f"/api/v1/runs/{STOPS[u][0]}/2026-11-23/stops/{STOPS[u][1]}", json={"event": "arrived"},
        units={"unit": u}),
    ("GET", "/api/v1/paths"): lambda w, u: Req("GET", "/api/v1/paths", params={"from": "DC", "to": u}),
    ("POST", "/api/v1/crates/{code}/pack"): lambda w, u: Req("POST", f"/api/v1/crates/K{TAG[u]}/pack", json={
        "barcode": w.copy(u, "C2"), "unit": u}, units={"unit": u}),
    ("POST", "/api/v1/crates/{code}/close"): lambda w, u: Req("POST", f"/api/v1/crates/K{TAG[u]}/close",
                                                              units={"from": u}),
    ("POST", "/api/v1/crates/{code}/load"): lambda w, u: Req("POST", f"/api/v1/crates/KL{TAG[u]}/load", json={
        "route": STOPS[u][0], "day": "2026-11-23"}, units={"from": u}),
    ("POST", "/api/v1/crates/{code}/receive"): lambda w, u: Req("POST", f"/api/v1/crates/KR{TAG[u]}/receive",
                                                                json={"unit": u}, units={"unit": u}),
}

PAGES: dict[tuple[str, str], Scenario] = {
    ("GET", "/"): lambda w, u: Req("GET", "/"),
    ("GET", "/ui/language"): lambda w, u: Req("GET", "/ui/language", params={"to": "en", "next": "/opac"}),
    ("GET", "/ui/elder"): lambda w, u: Req("GET", "/ui/elder", params={"on": 1, "next": "/opac"}),
    # the OPAC
    ("GET", "/opac"): lambda w, u: Req("GET", "/opac", params={"q": "读者"}),
    ("GET", "/opac/records/{record_id}"): lambda w, u: Req("GET", f"/opac/records/{_rec(w, u)}"),
    ("GET", "/opac/login"): lambda w, u: Req("GET", "/opac/login"),
    ("POST", "/opac/login"): lambda w, u: Req("POST", "/opac/login", data={
        "card": w.reader("DC-TD"), "password": READER_PASSWORD}),
    ("POST", "/opac/logout"): lambda w, u: Req("POST", "/opac/logout", data={}, fresh_login=True),
    ("POST", "/opac/records/{record_id}/hold"): lambda w, u: Req(
        "POST", f"/opac/records/{_rec(w, u)}/hold", data={"pickup_unit": u}, units={"pickup": u}),
    ("GET", "/opac/account"): lambda w, u: Req("GET", "/opac/account"),
    ("POST", "/opac/account/renew"): lambda w, u: Req("POST", "/opac/account/renew", data={
        "barcode": w.copy(u, "A1")}, units={"lending": u, "home": u}),
    ("POST", "/opac/account/holds/{hold_id}/cancel"): lambda w, u: Req(
        "POST", f"/opac/account/holds/{w.holds[u]}/cancel", data={"confirm": "yes"}, units={"pickup": u, "home": u},
        card=w.reader(u)),
    # the desk
    ("GET", "/desk/login"): lambda w, u: Req("GET", "/desk/login"),
    ("POST", "/desk/login"): lambda w, u: Req("POST", "/desk/login", data={"username": "lib-td", "password": PASSWORD}),
    ("POST", "/desk/logout"): lambda w, u: Req("POST", "/desk/logout", data={}, fresh_login=True),
    ("GET", "/desk/unit"): lambda w, u: Req("GET", "/desk/unit"),
    ("POST", "/desk/unit"): lambda w, u: Req("POST", "/desk/unit", data={"unit": u}, units={"desk": u}),
    ("GET", "/desk"): lambda w, u: Req("GET", "/desk", desk=u, units={"desk": u}),
    ("GET", "/desk/checkout"): lambda w, u: Req("GET", "/desk/checkout", params={"card": w.reader(u)}, desk=u),
    ("POST", "/desk/checkout"): lambda w, u: Req("POST", "/desk/checkout", data={
        "card": w.other_reader(u), "barcode": w.copy(u, "A3")}, desk=u, units={"desk": u}),
    ("POST", "/desk/renew"): lambda w, u: Req("POST", "/desk/renew", data={
        "card": w.reader(u), "barcode": w.copy(u, "A1")}, units={"lending": u, "home": u}),
    ("GET", "/desk/patrons"): lambda w, u: Req("GET", "/desk/patrons"),
    ("POST", "/desk/patrons"): lambda w, u: Req("POST", "/desk/patrons", data={"q": f"读者{w.reader(u)}"},
                                                card=w.reader(u)),
    ("POST", "/desk/holds/{hold_id}/cancel"): lambda w, u: Req(
        "POST", f"/desk/holds/{w.holds[u]}/cancel", data={"card": w.reader(u), "confirm": "yes"},
        units={"pickup": u, "home": u}, card=w.reader(u)),
    ("GET", "/desk/patrons/new"): lambda w, u: Req("GET", "/desk/patrons/new", desk=u),
    ("POST", "/desk/patrons/new"): lambda w, u: Req("POST", "/desk/patrons/new", data={
        "card_number": f"N{TAG[u]}00002", "name": "新读者", "category": "adult"}, desk=u, units={"home": u}),
    ("GET", "/desk/checkin"): lambda w, u: Req("GET", "/desk/checkin", desk=u),
    ("POST", "/desk/checkin"): lambda w, u: Req("POST", "/desk/checkin", data={"barcode": w.copy(u, "A1")}, desk=u,
                                                units={"desk": u}),
    ("POST", "/desk/transits/receive"): lambda w, u: Req("POST", "/desk/transits/receive", data={
        "barcode": w.copy(u, "X1")}, desk=u, units={"unit": u}),
    ("GET", "/desk/holds/pull"): lambda w, u: Req("GET", "/desk/holds/pull", desk=u, units={"unit": u}),
    ("GET", "/desk/holds/shelf"): lambda w, u: Req("GET", "/desk/holds/shelf", desk=u, units={"unit": u}),
    ("POST", "/desk/holds/expire"): lambda w, u: Req("POST", "/desk/holds/expire", data={"confirm": "yes"}, desk=u,
                                                     units={"unit": u}),
    ("GET", "/desk/transits"): lambda w, u: Req("GET", "/desk/transits", desk=u, units={"unit": u}),
    # statistics
    ("GET", "/stats"): lambda w, u: Req("GET", "/stats", params={"unit": u, "period": "2026"}, units={"unit": u}),
    ("GET", "/stats/units"): lambda w, u: Req("GET", "/stats/units", params={"unit": u, "period": "2026-11"},
                                              units={"unit": u}),
    ("GET", "/stats/units.csv"): lambda w, u: Req("GET", "/stats/units.csv", params={"unit": u, "by": "owner"},
                                                  units={"unit": u}),
    ("GET", "/stats/charts/units.svg"): lambda w, u: Req("GET", "/stats/charts/units.svg", params={
        "unit": u, "figure": "returns"}, units={"unit": u}),
    ("GET", "/stats/charts/months.svg"): lambda w, u: Req("GET", "/stats/charts/months.svg", params={
        "unit": u, "year": 2026, "by": "home"}, units={"unit": u}),
    # statistics entered by hand
    ("GET", "/stats/visits"): lambda w, u: Req("GET", "/stats/visits", params={"unit": u}, units={"unit": u}),
    ("POST", "/stats/visits/import"): lambda w, u: Req("POST", "/stats/visits/import", data={}, files=_gate_file(u),
                                                       units={"unit": u}),
    ("POST", "/stats/visits"): lambda w, u: Req("POST", "/stats/visits", data={
        "unit": u, "date": "2026-11-20", "in_count": "40"}, units={"unit": u}),
    ("POST", "/stats/visits/clear"): lambda w, u: Req("POST", "/stats/visits/clear", data={
        "unit": u, "date": "2026-11-20", "confirm": "yes"}, units={"unit": u}),
    ("GET", "/stats/activities"): lambda w, u: Req("GET", "/stats/activities", params={"unit": u}, units={"unit": u}),
    ("POST", "/stats/activities"): lambda w, u: Req("POST", "/stats/activities", data={
        "type": "lecture", "title": "讲座", "unit": u, "organiser": u, "held_on": "2026-11-21", "attendance": "12"},
        units={"unit": u}),
    ("GET", "/stats/activities/{activity_id}"): lambda w, u: Req("GET", f"/stats/activities/{w.activities[u]}",
                                                                 units={"unit": u}),
    ("POST", "/stats/activities/{activity_id}"): lambda w, u: Req("POST", f"/stats/activities/{w.activities[u]}", data={
        "type": "lecture", "title": "讲座", "unit": u, "organiser": u, "held_on": "2026-11-20", "attendance": "22"},
        units={"unit": u}),
    ("POST", "/stats/activities/{activity_id}/delete"): lambda w, u: Req(
        "POST", f"/stats/activities/{w.activities[u]}/delete", data={"confirm": "yes"}, units={"unit": u}),
    ("GET", "/stats/annual-fields"): lambda w, u: Req("GET", "/stats/annual-fields", params={"unit": u, "year": 2025},
                                                      units={"unit": u}),
    ("POST", "/stats/annual-fields"): lambda w, u: Req("POST", "/stats/annual-fields", data={
        "unit": u, "year": "2025", "f_seats": "40"}, units={"unit": u}),
    # administration
    ("GET", "/admin"): lambda w, u: Req("GET", "/admin"),
    ("POST", "/admin/sip2"): lambda w, u: Req("POST", "/admin/sip2", data={
        "login": f"sc-page-{TAG[u].lower()}", "password": "machine-pass-3", "unit": u}),
    ("POST", "/admin/sip2/{login}/active"): lambda w, u: Req("POST", f"/admin/sip2/sc-{TAG[u].lower()}/active",
                                                             data={"active": "false", "confirm": "yes"}),
    ("POST", "/admin/sip2/{login}/remove"): lambda w, u: Req("POST", f"/admin/sip2/sc-{TAG[u].lower()}/remove",
                                                             data={"confirm": "yes"}),
}


# ---- the oracle: what the gate's table decides --------------------------------------------------

def _principal(db: Any, world: World, role: str) -> Any:
    from ils.auth.security import read_token
    from ils.auth.service import principal_from_claims
    from ils.clock import get_clock
    from ils.config import get_settings

    claims = read_token(get_settings().resolved_secret_key(), world.tokens[role], get_clock().now())
    with db.session(write=False) as s:
        return principal_from_claims(s, claims)


def expected_allowed(db: Any, world: World, role: str, op_name: str, who: str | None, req: Req) -> bool:
    from ils.network.snapshot import network

    op = gate.operation(op_name)
    if not op.login:
        return True
    if who in ("staff", "desk") and role == "reader":
        return False  # no staff login
    if who == "reader" and role != "reader":
        return False  # no reader login
    principal = _principal(db, world, role)
    with db.session(write=False) as s:
        units = network(s).by_code
        if who == "desk" and req.desk is not None and not gate.within(network(s), principal, units[req.desk].id, "own"):
            return False  # a desk page at a unit one does not serve: choose a desk first
        if req.narrows_to_system is not None:
            system = units[req.narrows_to_system].id
            members = [u for u in network(s).units.values() if system in (u.id, u.system_id)]
            return any(_passes(s, principal, op_name, {"unit": u.id}) for u in members)
        return _passes(s, principal, op_name, {role_: units[code].id if code else None
                                               for role_, code in req.units.items()}, req.card)


def _passes(session: Any, principal: Any, op_name: str, units: dict[str, int | None], card: str | None = None) -> bool:
    try:
        gate.check(session, principal, op_name, card=card, **units)
    except Forbidden:
        return False
    return True


def _refused(response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("location", "") if response.status_code in (302, 303, 307) else ""
    # A page's preconditions: log in first, or choose one's own desk.
    return location.startswith(("/desk/login?next=", "/opac/login?next=")) or location == "/desk/unit"


def _send(client: Any, world: World, role: str, req: Req, page: bool) -> Any:
    from ils.web.pages import READER_COOKIE, STAFF_COOKIE, UNIT_COOKIE, csrf_token

    client.cookies.clear()
    if req.fresh_login:
        who = {"card_number": world.reader("DC-TD")} if role == "reader" else {"username": role}
        world.tokens[role] = client.post("/api/v1/auth/token", json={**who, "password": _password(role)}
                                         ).json()["access_token"]
    token = world.tokens[role]
    headers = dict(req.headers)
    data = dict(req.data) if req.data is not None else None
    if page:
        client.cookies.set(READER_COOKIE if role == "reader" else STAFF_COOKIE, token)
        if req.desk:
            client.cookies.set(UNIT_COOKIE, req.desk)
        if data is not None:
            data["csrf"] = csrf_token(token)
    else:
        headers["Authorization"] = f"Bearer {token}"
    body = req.json_for(role) if req.json_for is not None else req.json
    return client.request(req.method, req.url, json=body, params=req.params, data=data, files=req.files,
                          headers=headers, follow_redirects=False)


ALL = routes()


def test_every_route_declares_an_operation_and_has_a_scenario():
    from ils.app import create_app

    documented = {(m.upper(), p) for p, ops in create_app().openapi()["paths"].items() for m in ops}
    walked = {(m, p) for m, p, _ in ALL}
    assert documented <= walked, f"documented but not found: {sorted(documented - walked)}"
    missing = [f"{m} {p}" for m, p, r in ALL if operation_of(r)[0] is None]
    assert not missing, f"routes with no scope decision (declare an operation of ils.auth.gate): {missing}"
    unscripted = [f"{m} {p}" for m, p, r in ALL if (m, p) not in (API if r.include_in_schema else PAGES)]
    assert not unscripted, f"routes with no scenario in this test: {unscripted}"


@pytest.mark.parametrize("method,path", [(m, p) for m, p, _ in ALL])
def test_route_refuses_exactly_what_the_scope_model_refuses(world_copy, method, path):
    db, client, world = world_copy
    route = next(r for m, p, r in ALL if (m, p) == (method, path))
    op_name, who = operation_of(route)
    assert op_name is not None
    scenario = (API if route.include_in_schema else PAGES).get((method, path))
    assert scenario is not None, f"no scenario for {method} {path}"
    mismatches = []
    for rel, unit in REL_UNIT.items():
        plans = []
        for role in ROLES:
            req = scenario(world, unit)
            plans.append((expected_allowed(db, world, role, op_name, who, req), role, req))
        # Refusals first: an allowed request may change the state a later one depends on.
        for allowed, role, req in sorted(plans, key=lambda p: p[0]):
            response = _send(client, world, role, req, page=not route.include_in_schema)
            assert response.status_code < 500, f"{role} {rel}: {method} {req.url} → {response.status_code}"
            if _refused(response) == allowed:
                mismatches.append(f"{role} at {rel} ({unit}): expected {'allowed' if allowed else 'refused'}, got "
                                  f"{response.status_code} {response.text[:160]}")
    assert not mismatches, f"{method} {path} ({op_name}):\n" + "\n".join(mismatches)
