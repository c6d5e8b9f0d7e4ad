"""Issue 16 ("Trust"): log-in under attack. Hash cost and upgrade, atomic throttling
under simultaneous attempts, hashing off the event loop, locks by name and address
with an admin unlock, password rules, resets and token lifetimes. Both engines."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import httpx
import pytest
from argon2 import PasswordHasher

from models.tables import AccountEvent, AppUser, AuthToken, LoginLimit
from procurement.accounts import passwords
from procurement.accounts.throttle import ADDRESS_FREE_ATTEMPTS, FREE_ATTEMPTS
from tests.app.conftest import AN_VIEN


@pytest.fixture
async def from_address(app):
    """Clients calling the app from given client addresses."""
    clients: list[httpx.AsyncClient] = []

    def make(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        made = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(made)
        return made

    yield make
    for made in clients:
        await made.aclose()


def login(client: httpx.AsyncClient, username: str, password: str):
    return client.post("/api/auth/login", json={"username": username, "password": password})


async def set_hash(username: str, password_hash: str) -> None:
    await AppUser.update({AppUser.password_hash: password_hash}).where(AppUser.username == username)


# --- 0. hashing cost is a setting; other costs verify and are upgraded --------------------


async def test_a_hash_made_with_other_parameters_verifies_and_is_upgraded_on_log_in(client, users):
    await users.make("planner", username="old.hash")
    older = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=2).hash(users.password)
    await set_hash("old.hash", older)
    assert passwords.needs_rehash(older)
    assert (await login(client, "old.hash", users.password)).status_code == 200
    stored = (await AppUser.select(AppUser.password_hash).where(AppUser.username == "old.hash").first())[
        "password_hash"
    ]
    settings = passwords.SETTINGS
    assert stored != older and not passwords.needs_rehash(stored)
    assert f"m={settings.memory_kib},t={settings.time_cost},p={settings.parallelism}" in stored
    assert (await login(client, "old.hash", users.password)).status_code == 200


# --- 2. simultaneous attempts are counted atomically --------------------------------------


async def test_a_first_burst_against_a_new_name_is_counted_without_errors(client, users):
    answers = await asyncio.gather(*(login(client, "ten.moi", f"sai-mat-khau-{i}") for i in range(40)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [401] * FREE_ATTEMPTS + [429] * (40 - FREE_ATTEMPTS)
    row = await LoginLimit.select().where(LoginLimit.username == "ten.moi").first()
    assert row["failures"] == FREE_ATTEMPTS


async def test_the_right_password_sent_with_a_burst_of_wrong_ones_cannot_pass_the_lock(client, users):
    await users.make("staff", AN_VIEN, username="lan.burst")
    attempts = [login(client, "lan.burst", f"sai-mat-khau-{i}") for i in range(30)]
    answers = await asyncio.gather(*attempts, login(client, "lan.burst", users.password))
    codes = [a.status_code for a in answers]
    assert all(code in (200, 401, 429) for code in codes), codes
    # Only the free attempts were checked at all; every other one was refused unchecked.
    assert codes.count(401) + codes.count(200) <= FREE_ATTEMPTS
    assert codes.count(429) >= 31 - FREE_ATTEMPTS
    if codes[-1] != 200:  # the right one came after the lock: still refused now
        again = await login(client, "lan.burst", users.password)
        assert again.status_code == 429 and int(again.headers["retry-after"]) > 0


# --- 3. hashing runs off the event loop, bounded ------------------------------------------


@pytest.fixture
async def costly_user(users):
    """A user whose stored hash has the production cost (64 MiB, 3 passes): each check is slow."""
    await users.make("planner", username="costly.user")
    await set_hash("costly.user", PasswordHasher().hash(users.password))
    return "costly.user"


async def test_health_is_answered_while_log_ins_are_being_hashed(client, costly_user, monkeypatch):
    """Every hash is held until health has answered. Were hashing on the event loop,
    holding it would hold health too: the hash gives up waiting, and the test fails."""
    loop = asyncio.get_running_loop()
    started = asyncio.Event()
    release = threading.Event()
    gave_up: list[bool] = []
    check = passwords._verify

    def held(stored_hash, password):
        loop.call_soon_threadsafe(started.set)
        if not release.wait(timeout=20):
            gave_up.append(True)
        return check(stored_hash, password)

    monkeypatch.setattr(passwords, "_verify", held)
    tasks = [asyncio.ensure_future(login(client, costly_user, f"sai-mat-khau-{i}")) for i in range(FREE_ATTEMPTS)]
    await started.wait()
    health = await client.get("/api/health")
    answered_while_hashing = not release.is_set()
    release.set()
    answers = await asyncio.gather(*tasks)
    assert health.status_code == 200 and answered_while_hashing and not gave_up
    assert [a.status_code for a in answers] == [401] * FREE_ATTEMPTS


async def test_beyond_the_hashing_capacity_a_log_in_is_refused_at_once_with_retry_after(
    client, costly_user, monkeypatch
):
    monkeypatch.setattr(passwords.GATE, "capacity", 1)
    answers = await asyncio.gather(*(login(client, costly_user, f"sai-mat-khau-{i}") for i in range(3)))
    busy = [a for a in answers if a.status_code == 429]
    assert busy and all(a.json()["extra"][0]["code"] == "busy" for a in busy)
    assert all(int(a.headers["retry-after"]) >= 1 for a in busy)
    assert "thử lại" in busy[0].json()["detail"]
    # A refusal for capacity is not counted as a failed attempt.
    row = await LoginLimit.select().where(LoginLimit.username == costly_user).first()
    assert row["failures"] == len(answers) - len(busy)


# --- 4. locks by name and address together; per-address limit; admin unlock ---------------


async def test_failures_from_one_place_do_not_lock_the_user_out_elsewhere(from_address, users):
    await users.make("staff", AN_VIEN, username="nam.anvien")
    attacker, office = from_address("203.0.113.7"), from_address("10.20.0.5")
    for i in range(FREE_ATTEMPTS):
        assert (await login(attacker, "nam.anvien", f"sai-mat-khau-{i}")).status_code == 401
    locked = await login(attacker, "nam.anvien", users.password)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    # The real user, from a place that has not been failing, gets in.
    assert (await login(office, "nam.anvien", users.password)).status_code == 200
    # ... and the attacker's place is still locked.
    assert (await login(attacker, "nam.anvien", users.password)).status_code == 429


async def test_one_address_trying_many_names_meets_the_address_limit(from_address, users):
    await users.make("planner", username="real.planner")
    spray = from_address("198.51.100.9")
    for i in range(ADDRESS_FREE_ATTEMPTS):
        answer = await login(spray, f"ten-{i}", "mat-khau-doan-bua")
        assert answer.status_code == 401, (i, answer.text)
    refused = await login(spray, "real.planner", users.password)
    assert refused.status_code == 429 and "Thử lại sau" in refused.json()["detail"]
    # Another address is not affected.
    assert (await login(from_address("10.20.0.6"), "real.planner", users.password)).status_code == 200


async def test_a_success_gives_the_address_its_attempt_back(from_address, users):
    await users.make("planner", username="kiem.tra")
    office = from_address("10.20.0.7")
    for _ in range(3):
        assert (await login(office, "kiem.tra", users.password)).status_code == 200
    row = await LoginLimit.select().where(LoginLimit.key == "a:10.20.0.7").first()
    assert row["failures"] == 0 and row["locked_until"] is None


async def test_an_admin_unlocks_a_user_and_it_is_recorded(client, from_address, users):
    admin = await users.make("admin", username="quan.tri")
    await users.make("staff", AN_VIEN, username="hoa.locked")
    user_id = (await AppUser.select(AppUser.id).where(AppUser.username == "hoa.locked").first())["id"]
    phone = from_address("10.20.0.8")
    for i in range(FREE_ATTEMPTS):
        await login(phone, "hoa.locked", f"sai-mat-khau-{i}")
    assert (await login(phone, "hoa.locked", users.password)).status_code == 429
    staff = await users.make("staff", AN_VIEN)
    assert (await client.post(f"/api/users/{user_id}/unlock", headers=staff)).status_code == 403
    unlocked = await client.post(f"/api/users/{user_id}/unlock", headers=admin)
    assert unlocked.status_code == 200 and unlocked.json()["cleared"] >= 1
    assert (await login(phone, "hoa.locked", users.password)).status_code == 200
    event = await AccountEvent.select(AccountEvent.kind, AccountEvent.actor.username.as_alias("by")).where(
        AccountEvent.user == user_id
    )
    assert event == [{"kind": "unlock", "by": "quan.tri"}]
    assert (await client.post("/api/users/999999/unlock", headers=admin)).status_code == 404


# --- 11. password rules, resets, token lifetimes, admins over tokens -------------------


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("ngan-qua", "ít nhất 12 ký tự"),
        ("Mật-Khẩu-2025", "phổ biến"),
        ("iloveyou2025", "phổ biến"),
        ("123456789012", "liên tiếp"),
        ("cb.moi.2025.xyz", "tên đăng nhập"),
        ("aaaaaaaaaaaaaaa", "đơn giản"),
    ],
)
async def test_weak_passwords_are_refused_naming_the_field(client, users, password, says):
    admin = await users.make("admin")
    answer = await client.post(
        "/api/users",
        json={"username": "cb.moi", "password": password, "role": "planner", "province_code": "75"},
        headers=admin,
    )
    assert answer.status_code == 422, answer.text
    item = answer.json()["extra"][0]
    assert item["key"] == "password" and says in item["message"]
    assert not await AppUser.exists().where(AppUser.username == "cb.moi")


async def test_a_password_reset_ends_every_session_and_token_of_the_user(client, users):
    admin = await users.make("admin")
    session = await users.make("finance", username="tc.reset")
    script = (await client.post("/api/auth/tokens", json={"name": "đêm", "days": 30}, headers=session)).json()
    script_headers = {"Authorization": f"Bearer {script['token']}"}
    assert (await client.get("/api/auth/me", headers=script_headers)).status_code == 200
    user_id = (await AppUser.select(AppUser.id).where(AppUser.username == "tc.reset").first())["id"]
    weak = await client.patch(f"/api/users/{user_id}", json={"password": "password1234"}, headers=admin)
    assert weak.status_code == 422 and weak.json()["extra"][0]["key"] == "password"
    assert (await client.get("/api/auth/me", headers=session)).status_code == 200  # a refused reset changes nothing
    reset = await client.patch(f"/api/users/{user_id}", json={"password": "ca-phe-sua-da-sang"}, headers=admin)
    assert reset.status_code == 200
    assert (await client.get("/api/auth/me", headers=session)).status_code == 401
    assert (await client.get("/api/auth/me", headers=script_headers)).status_code == 401
    assert await AuthToken.count().where((AuthToken.user == user_id) & AuthToken.revoked_at.is_null()) == 0
    assert (await login(client, "tc.reset", "ca-phe-sua-da-sang")).status_code == 200
    kinds = await AccountEvent.select(AccountEvent.kind).where(AccountEvent.user == user_id).output(as_list=True)
    assert kinds == ["password_reset"]


async def test_api_tokens_expire_when_their_maker_chose_up_to_a_maximum(client, users):
    from procurement.accounts.users import API_TOKEN_DEFAULT_DAYS, API_TOKEN_MAX_DAYS, now

    headers = await users.make("finance")
    week = (await client.post("/api/auth/tokens", json={"name": "tuần", "days": 7}, headers=headers)).json()
    lasting = dt.datetime.fromisoformat(week["expires_at"]) - now()
    assert dt.timedelta(days=6, hours=23) < lasting <= dt.timedelta(days=7)
    default = (await client.post("/api/auth/tokens", json={"name": "mặc định"}, headers=headers)).json()
    assert dt.datetime.fromisoformat(default["expires_at"]) - now() > dt.timedelta(days=API_TOKEN_DEFAULT_DAYS - 1)
    too_long = await client.post(
        "/api/auth/tokens", json={"name": "mãi", "days": API_TOKEN_MAX_DAYS + 1}, headers=headers
    )
    assert too_long.status_code == 400 and too_long.json()["extra"][0]["key"] == "days"
    forever = await client.post("/api/auth/tokens", json={"name": "mãi", "days": None}, headers=headers)
    assert forever.status_code == 400


async def test_admins_list_and_revoke_any_users_tokens(client, users):
    admin = await users.make("admin", username="qt.tokens")
    owner = await users.make("planner", username="kh.tokens")
    made = (await client.post("/api/auth/tokens", json={"name": "bảng kế hoạch"}, headers=owner)).json()
    script = {"Authorization": f"Bearer {made['token']}"}
    owner_id = (await AppUser.select(AppUser.id).where(AppUser.username == "kh.tokens").first())["id"]
    listed = await client.get(f"/api/users/{owner_id}/tokens", headers=admin)
    assert listed.status_code == 200
    assert {"id": made["id"], "name": "bảng kế hoạch", "kind": "api", "revoked": False}.items() <= next(
        t for t in listed.json() if t["id"] == made["id"]
    ).items()
    assert (await client.get(f"/api/users/{owner_id}/tokens", headers=owner)).status_code == 403
    gone = await client.delete(f"/api/users/{owner_id}/tokens/{made['id']}", headers=admin)
    assert gone.status_code == 204
    assert (await client.get("/api/auth/me", headers=script)).status_code == 401
    assert (await client.delete(f"/api/users/{owner_id + 1000}/tokens/{made['id']}", headers=admin)).status_code == 404
    event = await AccountEvent.select(AccountEvent.kind, AccountEvent.actor.username.as_alias("by")).where(
        AccountEvent.user == owner_id
    )
    assert event == [{"kind": "token_revoked", "by": "qt.tokens"}]


async def test_the_log_in_page_says_when_to_retry_in_vietnamese(client, users):
    await users.make("staff", AN_VIEN, username="trang.khoa")
    for i in range(FREE_ATTEMPTS):
        await login(client, "trang.khoa", f"sai-mat-khau-{i}")
    form = {"username": "trang.khoa", "password": users.password, "next": "/"}
    answer = await client.post("/login", data=form)
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    assert "Thử lại sau" in answer.text and 'value="trang.khoa"' in answer.text
