"""`/docs` and `/redoc` render from the API server alone: every URL a page references
(its tags' attributes and the strings of its inline scripts) is on the server, needs
no key, and answers with a real asset; stylesheets pull in nothing from outside."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from yiju.localservices import free_port

# What each kind of asset must be served as, by the end of its path.
CONTENT_TYPES = {
    ".js": "javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".json": "application/json",
}
# Smaller than any real asset (the favicon, the smallest, is ~5 kB).
MIN_ASSET_BYTES = 1000
# A quoted string in a script that is a URL: a path, or a scheme or `//` and a host.
SCRIPT_URL = re.compile(r"""["']((?:/|[a-zA-Z][a-zA-Z0-9+.-]*:|//)[^"'\s]*)["']""")
# Anything that names a host: `https://…`, `http://…`, protocol-relative `//…`.
ANY_HOST = re.compile(r"""(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//[^\s"'<>)]+""")
CSS_REFERENCE = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])([^"')\s]+)""")


class _References(HTMLParser):
    """The URLs in tag attributes (`src`, `href`, ReDoc's `spec-url`) and the text of
    inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name in ("src", "href") or name.endswith("-url")):
                self.urls.append(value)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def references(page: str) -> list[str]:
    parser = _References()
    parser.feed(page)
    inline = [m for script in parser.scripts for m in SCRIPT_URL.findall(script)]
    return parser.urls + inline


def external(url: str, server: str) -> bool:
    """Whether `url` leaves `server` (a relative URL or a path stays on it)."""
    parts = urlsplit(url)
    if not (parts.scheme or parts.netloc):
        return False
    return f"{parts.scheme}://{parts.netloc}" != server


@pytest.fixture(scope="module")
def server(api_app: FastAPI) -> Iterator[str]:
    """The test app behind uvicorn on a free port, for a real HTTP client. Lifespan off:
    the app is shared with the other API tests, and its shutdown stops their jobs."""
    port = free_port()
    config = uvicorn.Config(
        api_app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="docs-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_page_loads_every_asset_from_the_server(server: str, path: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as http:
        page = http.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert ANY_HOST.findall(page.text) == []

        refs = references(page.text)
        assert [r for r in refs if external(r, server)] == []
        # The page is what we think it is: a script of its own and the schema.
        assert any(urlsplit(r).path.endswith(".js") for r in refs), refs
        assert "/api/v1/openapi.json" in refs

        for ref in dict.fromkeys(refs):
            url = urljoin(server + path, ref)
            asset = http.get(url)  # no key, as the page itself
            assert asset.status_code == 200, url
            assert len(asset.content) >= MIN_ASSET_BYTES, url
            suffix = "." + urlsplit(url).path.rpartition(".")[2]
            assert suffix in CONTENT_TYPES, f"{url}: an asset of an unexpected kind"
            assert CONTENT_TYPES[suffix] in asset.headers["content-type"], url
            if suffix == ".css":
                pulled = [u for u in CSS_REFERENCE.findall(asset.text) if not u.startswith("data:")]
                assert [u for u in pulled if external(urljoin(url, u), server)] == [], url
