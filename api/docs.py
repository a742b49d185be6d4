"""`/docs` (Swagger UI) and `/redoc` with every asset served by the API itself.

FastAPI's default pages load their scripts, styles, favicon and (ReDoc) fonts from
CDNs; district offices often run without internet, where those pages stay blank.
The assets come from the `fastapi-offline` package (Swagger UI, ReDoc and a favicon,
kept up to date upstream) and are mounted under `ASSETS_URL`; FastAPI's own page
builders then point at them. Like the schema, the pages and assets need no key.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PACKAGE = ("fastapi_offline", "static")
ASSETS_URL = "/docs-assets"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"

# Swagger UI would otherwise offer to send the schema to validator.swagger.io.
SWAGGER_PARAMETERS = {"validatorUrl": None}


def _root(request: Request) -> str:
    """The path prefix a reverse proxy serves the API under (`--root-path`)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def install_docs(app: FastAPI) -> None:
    """Add the two pages and their assets to `app` (built with `docs_url=None`,
    `redoc_url=None`, and an `openapi_url`)."""
    openapi_url = app.openapi_url
    if openapi_url is None:
        raise ValueError("the documentation pages need the app's openapi_url")
    app.mount(ASSETS_URL, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
