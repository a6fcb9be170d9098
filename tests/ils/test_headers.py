"""Every answer carries the security headers; the pages need nothing their policy forbids;
cookies are Secure over HTTPS; /docs is served whole by the app, from no other host."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.support.factories import make_network, make_user

POLICY_PARTS = ["default-src 'self'", "script-src 'self';", "frame-ancestors 'none'", "object-src 'none'"]


def _assert_secured(response) -> None:
    policy = response.headers["Content-Security-Policy"]
    for part in POLICY_PARTS:
        assert part in policy + ";", (part, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path,status", [
    ("/api/v1/health", 200),          # the API
    ("/api/v1/users", 401),           # an API refusal
    ("/api/v1/no-such-thing", 404),   # nothing there
    ("/opac", 200),                   # a page
    ("/desk", 303),                   # a redirect to the login
    ("/desk/login", 200),
    ("/static/ils.css", 200),         # a static file
    ("/docs", 200),
    ("/docs/assets/swagger-ui-bundle.js", 200),
    ("/openapi.json", 200),
])
def test_every_answer_carries_the_security_headers(client, path, status):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == status
    _assert_secured(response)


# Inline script or style, event-handler attributes, javascript: URLs: all refused by the policy.
_INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"javascript:", re.I),
]


def _inline(html: str) -> list[str]:
    return [m.group(0) for pattern in _INLINE for m in pattern.finditer(html)]


def test_the_pages_need_nothing_the_policy_forbids(client, db):
    make_network(db)
    make_user(db, "lib", "librarian", ("DC-TD",))
    pages = [client.get(p).text for p in ("/opac", "/opac?q=红楼梦", "/opac/login", "/desk/login", "/docs")]
    client.post("/desk/login", data={"username": "lib", "password": "password-123", "next": "/desk"})
    pages += [client.get(p).text for p in ("/desk", "/desk/checkout", "/desk/checkin", "/desk/patrons/new")]
    for page in pages:
        assert "<html" in page
        assert _inline(page) == []
        # Every script and stylesheet from this site.
        for url in re.findall(r'(?:src|href)="([^"]+)"', page):
            assert not re.match(r"(?:[a-z]+:)?//", url, re.I), url


def test_the_templates_have_no_inline_script_or_style():
    from importlib import resources

    root = resources.files("ils.web").joinpath("templates")
    found = {}
    for folder in [root, *[p for p in root.iterdir() if p.is_dir()]]:
        for template in folder.iterdir():
            if template.name.endswith(".html") and (hits := _inline(template.read_text(encoding="utf-8"))):
                found[template.name] = hits
    assert found == {}


def _desk_login(client) -> str:
    response = client.post("/desk/login", data={"username": "lib", "password": "password-123", "next": "/desk"},
                           follow_redirects=False)
    assert response.status_code == 303
    return ", ".join(response.headers.get_list("set-cookie"))


def test_cookies_are_secure_when_the_page_came_over_https(db):
    from ils.app import create_app

    make_network(db)
    make_user(db, "lib", "librarian", ("DC-TD",))
    with TestClient(create_app(), base_url="https://lib.example.test") as https:
        cookies = _desk_login(https)
        assert "ils_staff=" in cookies and "ils_unit=" in cookies
        assert all("; Secure" in c for c in cookies.split(", ils_"))
        assert "HttpOnly" in cookies and "SameSite=lax" in cookies
        lang = https.get("/ui/language?to=en&next=/opac", follow_redirects=False).headers["set-cookie"]
        assert "Secure" in lang
    with TestClient(create_app(), base_url="http://lib.example.test") as http:
        assert "Secure" not in _desk_login(http)


def test_docs_come_from_the_app_alone(client):
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href|data-openapi-url)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "cdn" not in page.text.lower() and "http" not in page.text.lower()
    assert _inline(page.text) == []
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert "SwaggerUIBundle" in client.get("/static/api-docs.js").text
    assert client.get("/redoc").status_code == 404  # ReDoc needs inline styles: not offered

