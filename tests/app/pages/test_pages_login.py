"""Log-in and log-out in a real browser (Debian chromium via Playwright)."""

from tests.app.conftest import AN_VIEN
from tests.support.browser import log_in, screenshot


async def test_log_in_lands_on_the_role_home_and_log_out_ends_the_session(live_server, phone, users):
    await users.make("staff", AN_VIEN, username="lan.anvien")
    page = await phone.new_page()
    await page.goto(f"{live_server}/assets")
    assert "/login" in page.url  # not logged in: sent to log in, with the way back
    await screenshot(page, "login")
    await log_in(page, live_server, "lan.anvien", users.password)
    assert page.url.endswith("/assets")
    assert "lan.anvien" in await page.inner_text("header")
    await page.click("text=Đăng xuất")
    await page.wait_for_load_state("networkidle")
    assert "/login" in page.url
    await page.goto(f"{live_server}/assets")
    assert "/login" in page.url


async def test_a_wrong_password_is_said_in_vietnamese_and_keeps_the_name(live_server, phone, users):
    await users.make("staff", AN_VIEN, username="hoa.anvien")
    page = await phone.new_page()
    await log_in(page, live_server, "hoa.anvien", "sai-mat-khau")
    assert "Sai tên đăng nhập hoặc mật khẩu" in await page.inner_text("[role=alert]")
    assert await page.input_value("input[name=username]") == "hoa.anvien"
