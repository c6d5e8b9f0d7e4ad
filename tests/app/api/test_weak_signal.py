"""Light on a weak signal: text compressed, compressed formats left alone, static
files cached for good under a versioned URL, the API documentation served from
the app's own files."""

from __future__ import annotations

import gzip
import re

from api.weak_signal import IMMUTABLE, STATIC_VERSIONS
from models.tables import Asset
from tests.app.conftest import AN_VIEN, make_asset

GZIP = {"Accept-Encoding": "gzip"}


async def test_text_is_compressed_and_compressed_formats_are_not(client, users):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    for _ in range(3):  # a CSV longer than the 500 bytes below which nothing is worth compressing
        await make_asset()
    tag = (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]
    for path in (f"/s/{tag}", "/stocktake", "/api/assets", "/api/assets/export?format=csv"):
        answer = await client.get(path, headers={**staff, **GZIP})
        assert answer.status_code == 200, path
        assert answer.headers.get("content-encoding") == "gzip", path
        assert "accept-encoding" in answer.headers.get("vary", "").lower()
    # A client that does not ask for gzip gets plain text.
    plain = await client.get(f"/s/{tag}", headers={**staff, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and tag[:3] in plain.text

    already_compressed = {
        "/api/assets/export?format=xlsx": "spreadsheetml",
        f"/api/labels/{tag}/png": "image/png",
    }
    for path, media_type in already_compressed.items():
        answer = await client.get(path, headers={**staff, **GZIP})
        assert answer.status_code == 200 and media_type in answer.headers["content-type"]
        assert "content-encoding" not in answer.headers, path
    pdf = await client.post("/api/labels/sheet", json={"asset_id": asset_id}, headers={**staff, **GZIP})
    assert pdf.headers["content-type"] == "application/pdf" and "content-encoding" not in pdf.headers
    assert pdf.content.startswith(b"%PDF")


async def test_static_files_are_immutable_under_their_versioned_url_only(client, users):
    staff = await users.make("staff", AN_VIEN)
    page = await client.get("/stocktake", headers=staff)
    linked = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert linked and all(re.search(r"\?v=[0-9a-f]{12}$", url) for url in linked), linked
    for url in linked:
        answer = await client.get(url, headers=GZIP)
        assert answer.status_code == 200 and answer.headers["cache-control"] == IMMUTABLE
        name = url.split("?")[0].removeprefix("/static/")
        assert url.endswith(STATIC_VERSIONS[name])
        if name.endswith((".css", ".js")):
            assert answer.headers["content-encoding"] == "gzip"
    stale = await client.get("/static/app.css?v=000000000000")
    unversioned = await client.get("/static/app.css")
    assert stale.headers["cache-control"] == unversioned.headers["cache-control"] == "no-cache"


async def test_api_documentation_loads_nothing_from_another_host(client):
    docs = await client.get("/schema/swagger", headers=GZIP)
    assert docs.status_code == 200 and docs.headers["content-encoding"] == "gzip"
    assets = re.findall(r"<(?:script|link)[^>]*(?:src|href)=[\"']([^\"']+)[\"']", docs.text)
    assert assets and not [url for url in assets if re.match(r"(https?:)?//", url)], assets
    for url in assets:
        if url.startswith("/static/"):
            answer = await client.get(url, headers=GZIP)
            assert answer.status_code == 200 and answer.headers["cache-control"] == IMMUTABLE
            assert len(gzip.compress(answer.content)) > 1000
    assert {"swagger-ui-bundle.js", "swagger-ui.css"} <= {url.split("?")[0].rsplit("/", 1)[-1] for url in assets}
