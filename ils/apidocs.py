"""The API documentation page (/docs, Swagger UI) served entirely by the app: its script and
stylesheet come from the fastapi-offline package on PyPI (which ships Swagger UI's release
files), so the page works on a county intranet with no internet, and its initialiser is a
static script, so it runs under the same Content-Security-Policy as every page (ils.headers: no
inline script or style; Swagger UI sets its styles from script, which the policy allows).
ReDoc is not offered: its renderer injects <style> elements and would need a weaker policy.
"""

from __future__ import annotations

import html
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ils.http import Public

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs/assets"
_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API</title>
<link rel="icon" type="image/png" href="{root}{assets}/favicon.png">
<link rel="stylesheet" href="{root}{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{root}{openapi}"></div>
<script src="{root}{assets}/swagger-ui-bundle.js"></script>
<script src="{root}/static/api-docs.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """/docs and its assets (create the app with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request, _: Public) -> HTMLResponse:
        root = html.escape(request.scope.get("root_path", "").rstrip("/"))
        page = _PAGE.format(title=html.escape(app.title), root=root, assets=ASSETS_URL, openapi=html.escape(openapi))
        return HTMLResponse(page)
