"""The pages' download links: page routes (never /api), each giving a valid file with the rows the
page shows, in the user's scope and with the page's filters."""

from __future__ import annotations

import html
import io
import re

import fastexcel
import polars as pl

from models.tables import Asset
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset
from tests.app.pages.test_planning_pages import _fleet

NO_API = re.compile(r"""(href|action|src)=["']/(api|schema)""")
DOWNLOAD = re.compile(r"""href="(/[^"]+?\.(?:xlsx|csv|pdf)(?:\?[^"]*)?)\"""")


def _links(page_html: str) -> list[str]:
    assert not NO_API.search(page_html), NO_API.search(page_html)
    return [html.unescape(link) for link in DOWNLOAD.findall(page_html)]


def _rows(answer) -> pl.DataFrame:
    """The downloaded file as a frame, after checking it is what it says it is."""
    assert answer.status_code == 200, (answer.url, answer.status_code, answer.text[:300])
    assert "attachment" in answer.headers["content-disposition"], answer.url
    if answer.url.path.endswith(".csv"):
        assert answer.headers["content-type"].startswith("text/csv") and answer.content.startswith("\ufeff".encode())
        return pl.read_csv(io.BytesIO(answer.content), infer_schema=False)
    assert answer.content[:2] == b"PK", answer.url
    # Row 1 of every workbook is its title.
    return fastexcel.read_excel(answer.content).load_sheet(0, header_row=1).to_polars()


def _listed(rows: pl.DataFrame) -> set[str]:
    """The tags of a downloaded list (printed in groups, ``WBH-17GF``)."""
    return {tag.replace("-", "") for tag in rows["Mã tài sản"]}


async def _tags(*ids: int) -> set[str]:
    return {r["tag"] for r in await Asset.select(Asset.tag).where(Asset.id.is_in(list(ids)))}


async def test_the_register_and_import_pages_download_from_page_routes(client, users):
    ids = await _fleet()
    staff = await users.make("staff", AN_VIEN)
    mine = await _tags(ids["broken"], ids["remote_young"])

    listed = (await client.get("/assets", params={"condition": "broken"}, headers=staff)).text
    links = _links(listed)
    assert links == ["/assets/export.xlsx?condition=broken", "/assets/export.csv?condition=broken"]
    for link in links:
        rows = _rows(await client.get(link, headers=staff))
        # The page's filter and the staff's commune: the one broken device of An Viễn.
        assert _listed(rows) == await _tags(ids["broken"]), link
    # A staff asking for another commune by the address still gets only their own.
    every = _rows(await client.get("/assets/export.csv", params={"commune": OTHER_COMMUNE}, headers=staff))
    assert _listed(every) == mine

    links = _links((await client.get("/import", headers=staff)).text)
    assert links == ["/import/template.xlsx", "/assets/export.xlsx"]
    template = await client.get(links[0], headers=staff)
    assert "Mã tài sản" in _rows(template).columns
    assert _listed(_rows(await client.get(links[1], headers=staff))) == mine
    # Import is for admins and commune staff; the register's export is for everyone who reads it.
    planner = await users.make("planner")
    assert (await client.get("/import/template.xlsx", headers=planner)).status_code == 403
    assert (await client.get("/assets/export.xlsx", headers=planner)).status_code == 200


async def test_the_planning_pages_download_from_page_routes(client, users):
    ids = await _fleet()
    planner = await users.make("planner")
    weights = {"province": "75", "w_age": "0", "w_condition": "0", "w_place": "0", "w_shortage": "0"}
    weights |= {"w_security": "0", "w_repairs": "0", "w_remote": "50"}
    planning = (await client.get("/planning", params=weights, headers=planner)).text
    links = _links(planning)
    priority = [link for link in links if link.startswith("/planning/priority.")]
    assert len(priority) == 2 and all("w_remote=50" in link for link in priority)
    for link in priority:
        rows = _rows(await client.get(link, headers=planner))
        # Only remoteness counts: An Viễn's devices first, in the page's order.
        assert _listed(rows.head(2)) == await _tags(ids["broken"], ids["remote_young"]), link
        assert rows.height == len(ids)
    shortage = [link for link in links if link.startswith("/planning/shortage.")]
    assert len(shortage) == 2
    for link in shortage:
        assert AN_VIEN in {str(code).zfill(5) for code in _rows(await client.get(link, headers=planner))["Mã xã"]}

    fleet = (await client.get("/planning/fleet", params={"province": "75"}, headers=planner)).text
    links = _links(fleet)
    assert {link.split("?")[0] for link in links} == {"/planning/fleet.xlsx", "/planning/fleet.csv"}
    assert len(links) == 4
    for link in links:
        rows = _rows(await client.get(link, headers=planner))
        assert rows.height >= 1, link
    by_commune = _rows(await client.get("/planning/fleet.csv?table=by_commune&province=75", headers=planner))
    assert int(by_commune["Số thiết bị"].cast(pl.Int64).sum()) == len(ids)

    # A weight that is not a number, a table that does not exist: 400 saying so, in Vietnamese.
    wrong = await client.get("/planning/priority.xlsx", params={"w_age": "nhiều"}, headers=planner)
    assert wrong.status_code == 400 and "Phải là một số." in wrong.text
    wrong = await client.get("/planning/fleet.xlsx", params={"table": "khac"}, headers=planner)
    assert wrong.status_code == 400 and "Bảng phải là" in wrong.text
    # Another province answers as missing; commune staff have no planning downloads.
    assert (await client.get("/planning/priority.csv?province=01", headers=planner)).status_code == 404
    staff = await users.make("staff", AN_VIEN)
    assert (await client.get("/planning/shortage.xlsx", headers=staff)).status_code == 403


async def test_the_public_property_pages_download_from_page_routes(client, users):
    desktop = await make_asset(acquired_on="2023-03-15", cost_vnd=15_000_000)
    await make_asset(category="printer", acquired_on="2023-05-01", cost_vnd=4_000_000)  # a tool, not on the book
    accountant = await users.make("accountant", AN_VIEN)
    book = (await client.get("/public-property", params={"year": "2024"}, headers=accountant)).text
    links = _links(book)
    assert sorted(link.split("?")[0] for link in links) == [
        f"/assets/{desktop}/card.pdf",
        "/public-property/book.pdf",
        "/public-property/book.xlsx",
        "/public-property/summary.pdf",
        "/public-property/summary.xlsx",
    ]
    for link in links:
        answer = await client.get(link, headers=accountant)
        if link.split("?")[0].endswith(".pdf"):
            assert answer.status_code == 200 and answer.content.startswith(b"%PDF"), link
            assert "attachment" in answer.headers["content-disposition"], link
        else:
            assert _rows(answer).height >= 1, link
    assert (
        'filename="so-tscd-26296-2024.pdf"'
        in (await client.get("/public-property/book.pdf?year=2024", headers=accountant)).headers["content-disposition"]
    )
    asset = (await client.get(f"/assets/{desktop}", headers=accountant)).text
    assert _links(asset) == [f"/assets/{desktop}/card.pdf"]
    # The year is checked; commune staff have no public-property papers.
    wrong = await client.get("/public-property/book.xlsx", params={"year": "abc"}, headers=accountant)
    assert wrong.status_code == 422 and "Năm phải là một số" in wrong.text
    staff = await users.make("staff", AN_VIEN)
    assert (await client.get(f"/assets/{desktop}/card.pdf", headers=staff)).status_code == 403
