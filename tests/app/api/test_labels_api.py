"""Labels through the API and the CLI path: the right devices, scoped, decoded from the PDF."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image
from pypdf import PdfReader

from models.scan import LabelPrint
from models.tables import Asset
from procurement.register.labelling import owner_line
from tests.app.conftest import AN_VIEN, OTHER_COMMUNE, make_asset
from tests.unit.test_labels_render import decoded_qr_codes_by_slot

BASE = "http://testserver"  # BASE_URL of the test app


async def tags_of(commune_code: str) -> list[str]:
    rows = await Asset.select(Asset.tag).where(Asset.commune.code == commune_code).order_by(Asset.tag)
    return [row["tag"] for row in rows]


def decoded(pdf: bytes, stock: str = "a4-3x8") -> list[str]:
    return [url for page in decoded_qr_codes_by_slot(pdf, stock) for _, url in sorted(page.items())]


def test_owner_line_follows_the_kind_of_commune():
    assert owner_line("Xã An Viễn") == "Tài sản UBND xã An Viễn"
    assert owner_line("Phường Hoàn Kiếm") == "Tài sản UBND phường Hoàn Kiếm"
    assert owner_line("Đặc khu Vân Đồn") == "Tài sản UBND đặc khu Vân Đồn"


async def test_commune_sheet_decodes_to_the_scan_urls_of_exactly_that_commune(client, users):
    staff = await users.make("staff", AN_VIEN)
    for _ in range(26):
        await make_asset()
    await make_asset(commune_code=OTHER_COMMUNE)
    answer = await client.post("/api/labels/sheet", json={"commune_code": AN_VIEN, "skip": 2}, headers=staff)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["x-label-count"] == "26"
    expected = [f"{BASE.upper()}/S/{tag}" for tag in await tags_of(AN_VIEN)]
    assert decoded(answer.content) == expected  # in tag order, after two skipped positions
    reader = PdfReader(io.BytesIO(answer.content))
    assert len(reader.pages) == 2  # 2 + 26 positions on sheets of 24
    text = reader.pages[0].extract_text()
    assert "Tài sản UBND xã An Viễn" in text and "Máy tính để bàn" in text
    assert await LabelPrint.count() == 26


async def test_only_unprinted_prints_the_new_devices(client, users):
    staff = await users.make("staff", AN_VIEN)
    for _ in range(3):
        await make_asset()
    body = {"commune_code": AN_VIEN, "only_unprinted": True}
    assert (await client.post("/api/labels/sheet", json=body, headers=staff)).status_code == 200
    again = await client.post("/api/labels/sheet", json=body, headers=staff)
    assert again.status_code == 404 and again.json()["extra"][0]["key"] == "only_unprinted"
    new_id = await make_asset()
    tag = (await Asset.select(Asset.tag).where(Asset.id == new_id).first())["tag"]
    third = await client.post("/api/labels/sheet", json=body, headers=staff)
    assert decoded(third.content) == [f"{BASE.upper()}/S/{tag}"]


async def test_a_list_of_tags_prints_in_the_given_order_and_typos_are_named(client, users):
    staff = await users.make("staff", AN_VIEN)
    ids = [await make_asset() for _ in range(3)]
    tags = [(await Asset.select(Asset.tag).where(Asset.id == i).first())["tag"] for i in ids]
    order = [tags[2], tags[0].lower(), tags[1][:3] + "-" + tags[1][3:]]  # as people type them
    answer = await client.post("/api/labels/sheet", json={"tags": order, "stock": "a4-5x13"}, headers=staff)
    assert answer.status_code == 200, answer.text
    assert decoded(answer.content, "a4-5x13") == [f"{BASE.upper()}/S/{t}" for t in (tags[2], tags[0], tags[1])]
    typo = tags[0][:-1] + ("1" if tags[0][-1] != "1" else "2")
    bad = await client.post("/api/labels/sheet", json={"tags": [typo]}, headers=staff)
    assert bad.status_code == 400 and bad.json()["extra"][0]["key"] == "tags.0"  # names the entry
    assert "ký tự kiểm tra" in bad.text
    one = await client.post("/api/labels/sheet", json={"asset_id": ids[1]}, headers=staff)
    assert decoded(one.content) == [f"{BASE.upper()}/S/{tags[1]}"]


async def test_staff_print_only_their_commune(client, users):
    staff = await users.make("staff", AN_VIEN)
    admin = await users.make("admin")
    other_id = await make_asset(commune_code=OTHER_COMMUNE)
    other_tag = (await Asset.select(Asset.tag).where(Asset.id == other_id).first())["tag"]
    answer = await client.post("/api/labels/sheet", json={"commune_code": OTHER_COMMUNE}, headers=staff)
    assert answer.status_code == 403 and answer.json()["extra"][0]["key"] == "commune_code"
    for body in ({"tags": [other_tag]}, {"asset_id": other_id}):
        assert (await client.post("/api/labels/sheet", json=body, headers=staff)).status_code == 404
    assert (await client.get(f"/api/labels/{other_tag}/png", headers=staff)).status_code == 404
    assert (
        await client.post("/api/labels/sheet", json={"commune_code": OTHER_COMMUNE}, headers=admin)
    ).status_code == 200
    assert await LabelPrint.count() == 1


async def test_bad_selections_are_refused_naming_the_problem(client, users):
    """400 for what the document states (a stock not in its list, a negative skip, an empty list);
    422 for the rules it cannot (exactly one selection; a skip below the chosen stock's count)."""
    staff = await users.make("staff", AN_VIEN)
    await make_asset()
    for body, status, word in (
        ({}, 422, "Chọn đúng một"),
        ({"commune_code": AN_VIEN, "asset_id": 1}, 422, "Chọn đúng một"),
        ({"commune_code": AN_VIEN, "stock": "letter"}, 400, "Khổ nhãn"),
        ({"commune_code": AN_VIEN, "skip": 24}, 422, "bỏ qua"),
        ({"commune_code": AN_VIEN, "skip": -1}, 400, "lớn hơn"),
        ({"tags": []}, 400, '"key":"tags"'),
    ):
        answer = await client.post("/api/labels/sheet", json=body, headers=staff)
        assert answer.status_code == status, (body, answer.text)
        assert word in answer.text, (body, answer.text)
    unknown = await client.post("/api/labels/sheet", json={"commune_code": "00000"}, headers=await users.make("admin"))
    assert unknown.status_code == 422 and unknown.json()["extra"][0]["key"] == "commune_code"


async def test_one_label_as_png_and_svg(client, users):
    staff = await users.make("staff", AN_VIEN)
    asset_id = await make_asset()
    tag = (await Asset.select(Asset.tag).where(Asset.id == asset_id).first())["tag"]
    png = await client.get(f"/api/labels/{tag.lower()}/png", headers=staff)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert code.text == f"{BASE.upper()}/S/{tag}"
    svg = await client.get(f"/api/labels/{tag}/svg", headers=staff)
    assert svg.status_code == 200 and svg.text.startswith("<svg") and f"{tag[:3]}-{tag[3:]}" in svg.text
    assert (await client.get("/api/labels/ABC1234/png", headers=staff)).status_code == 404


def _plan_fingerprint(html: str) -> str:
    match = re.search(r'name="confirm" value="([0-9a-f]+)"', html)
    assert match, "the page offers no print button"
    return match.group(1)


async def test_labels_page_counts_first_then_prints_exactly_what_it_counted(client, users):
    staff = await users.make("staff", AN_VIEN)
    ids = [await make_asset() for _ in range(3)]
    page = await client.get("/labels", headers=staff)
    assert page.status_code == 200 and "3 thiết bị chưa từng in nhãn" in page.text
    assert 'name="confirm"' not in page.text  # nothing printable before the count is shown

    # An empty tag field means the whole commune: counted, nothing printed yet.
    form = {"commune_code": AN_VIEN, "tags": "", "stock": "a4-3x8", "skip": "1"}
    preview = await client.post("/labels", data=form, headers=staff)
    assert preview.status_code == 200 and "Sẽ in <strong>3 nhãn</strong> trên 1 tờ" in preview.text
    assert await LabelPrint.count() == 0
    pdf = await client.post("/labels", data={**form, "confirm": _plan_fingerprint(preview.text)}, headers=staff)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert len(decoded(pdf.content)) == 3
    assert await LabelPrint.count() == 3

    # One typed tag prints that one device, whatever else the form holds.
    tag = (await tags_of(AN_VIEN))[1]
    one = {**form, "tags": tag.lower()}
    preview = await client.post("/labels", data=one, headers=staff)
    assert "Sẽ in <strong>1 nhãn</strong>" in preview.text
    pdf = await client.post("/labels", data={**one, "confirm": _plan_fingerprint(preview.text)}, headers=staff)
    assert decoded(pdf.content) == [f"{BASE.upper()}/S/{tag}"]
    assert await LabelPrint.count() == 4

    # Something changed between the count and the print: nothing is printed, the new count is shown.
    only_new = {**form, "only_unprinted": "on"}
    await make_asset()
    preview = await client.post("/labels", data=only_new, headers=staff)
    assert "Sẽ in <strong>1 nhãn</strong>" in preview.text
    fingerprint = _plan_fingerprint(preview.text)
    await make_asset()
    stale = await client.post("/labels", data={**only_new, "confirm": fingerprint}, headers=staff)
    assert stale.status_code == 409 and "Sẽ in <strong>2 nhãn</strong>" in stale.text and "đã thay đổi" in stale.text
    assert await LabelPrint.count() == 4

    # The device page's "In nhãn" opens the form counted for that device alone.
    device = await client.get(f"/assets/{ids[0]}", headers=staff)
    assert f'href="/labels?asset_id={ids[0]}"' in device.text
    counted = await client.get(f"/labels?asset_id={ids[0]}", headers=staff)
    assert counted.status_code == 200 and "Sẽ in <strong>1 nhãn</strong>" in counted.text


async def test_labels_page_keeps_a_bad_form(client, users):
    staff = await users.make("staff", AN_VIEN)
    await make_asset()
    bad = await client.post("/labels", data={"tags": "ABC-1234 xyz", "stock": "a4-3x8", "skip": "3"}, headers=staff)
    assert bad.status_code == 400 and "ký tự" in bad.text and "ABC-1234 xyz" in bad.text
    await client.post("/api/labels/sheet", json={"commune_code": AN_VIEN}, headers=staff)
    empty = await client.post("/labels", data={"commune_code": AN_VIEN, "only_unprinted": "on"}, headers=staff)
    assert empty.status_code == 400 and "Không có thiết bị nào cần in nhãn" in empty.text
    admin = await users.make("admin")
    nothing = await client.post("/labels", data={"tags": "", "commune_code": ""}, headers=admin)
    assert nothing.status_code == 400 and "Nhập mã thiết bị" in nothing.text
    other = await client.get(f"/labels?asset_id={await make_asset(commune_code=OTHER_COMMUNE)}", headers=staff)
    assert other.status_code == 404 and 'name="confirm"' not in other.text
