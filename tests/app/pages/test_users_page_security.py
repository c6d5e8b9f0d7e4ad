"""The users page: an admin sees a locked log-in and lifts it; weak passwords are refused
next to the field (Debian chromium via Playwright)."""

from models.tables import AccountEvent, AppUser, LoginLimit
from procurement.accounts.throttle import FREE_ATTEMPTS, count_attempt
from tests.app.conftest import AN_VIEN
from tests.support.browser import log_in, screenshot


async def test_an_admin_sees_a_locked_log_in_and_unlocks_it(live_server, phone, users):
    await users.make("admin", username="qt.trang")
    await users.make("staff", AN_VIEN, username="lan.bikhoa")
    for _ in range(FREE_ATTEMPTS):
        await count_attempt("lan.bikhoa", "203.0.113.5")
    page = await phone.new_page()
    await log_in(page, live_server, "qt.trang", users.password)
    await page.goto(f"{live_server}/admin/users")
    notice = page.locator("form.user-unlock")
    assert "lan.bikhoa" in await notice.inner_text() and "bị khoá" in await notice.inner_text()
    await screenshot(page, "users-locked")
    await notice.locator("button").click()
    await page.wait_for_load_state("networkidle")
    assert "Đã mở khoá đăng nhập cho lan.bikhoa" in await page.inner_text("[role=status]")
    assert await page.locator("form.user-unlock").count() == 0
    assert not await LoginLimit.exists().where(LoginLimit.username == "lan.bikhoa")
    user_id = (await AppUser.select(AppUser.id).where(AppUser.username == "lan.bikhoa").first())["id"]
    assert await AccountEvent.select(AccountEvent.kind).where(AccountEvent.user == user_id).output(as_list=True) == [
        "unlock"
    ]


async def test_a_weak_password_is_refused_next_to_the_field(live_server, phone, users):
    await users.make("admin", username="qt.matkhau")
    page = await phone.new_page()
    await log_in(page, live_server, "qt.matkhau", users.password)
    await page.goto(f"{live_server}/admin/users")
    await page.fill("input[name=username]", "cb.yeu")
    await page.fill("input[name=password]", "matkhau12345")
    await page.select_option("select[name=role]", "planner")
    await page.click("form[action='/admin/users'] button[type=submit]")
    await page.wait_for_load_state("networkidle")
    assert "phổ biến" in await page.inner_text("form[action='/admin/users']")
    assert await page.input_value("input[name=username]") == "cb.yeu"
    assert not await AppUser.exists().where(AppUser.username == "cb.yeu")


async def test_a_provincial_admin_places_accounts_in_its_province_only(live_server, phone, users):
    await users.make("admin", username="qt.hanoi", province="01")
    await users.make("staff", AN_VIEN, username="cb.dongnai")
    page = await phone.new_page()
    await log_in(page, live_server, "qt.hanoi", users.password)
    await page.goto(f"{live_server}/admin/users")
    assert "cb.dongnai" not in await page.inner_text("main")  # another province's account
    options = await page.locator("form[action='/admin/users'] select[name=province_code] option").all_inner_texts()
    assert options == ["Toàn quốc / theo xã", "Thành phố Hà Nội"]
    await page.fill("input[name=username]", "tc.hanoi")
    await page.fill("input[name=password]", "mot-mat-khau-rat-dai")
    await page.select_option("form[action='/admin/users'] select[name=role]", "finance")
    await page.click("form[action='/admin/users'] button[type=submit]")
    await page.wait_for_load_state("networkidle")
    refusal = await page.inner_text("form[action='/admin/users'] label[for=f-province_code]")
    assert "phải gắn với một tỉnh/thành" in refusal  # beside the field
    assert not await AppUser.exists().where(AppUser.username == "tc.hanoi")
    await page.select_option("form[action='/admin/users'] select[name=province_code]", "01")
    await page.fill("input[name=password]", "mot-mat-khau-rat-dai")
    await page.click("form[action='/admin/users'] button[type=submit]")
    await page.wait_for_url(lambda url: "done=tc.hanoi" in url)
    made = await AppUser.select(AppUser.province.code.as_alias("province")).where(AppUser.username == "tc.hanoi")
    assert made == [{"province": "01"}]
    await screenshot(page, "users-province")
