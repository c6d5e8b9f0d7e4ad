"""Log-in, throttling, tokens and user administration."""

from __future__ import annotations

import datetime as dt

from models.tables import AppUser, AuthToken, LoginLimit
from procurement.accounts.users import FREE_ATTEMPTS, lock_seconds
from tests.app.conftest import AN_VIEN


async def test_passwords_are_stored_as_argon2_hashes_and_tokens_as_digests(client, users):
    await users.make("planner", username="kehoach.test")
    row = await AppUser.select(AppUser.password_hash).where(AppUser.username == "kehoach.test").first()
    assert row["password_hash"].startswith("$argon2") and users.password not in row["password_hash"]
    login = (await client.post("/api/auth/login", json={"username": "kehoach.test", "password": users.password})).json()
    assert not await AuthToken.exists().where(AuthToken.token_hash == login["token"])
    assert len((await AuthToken.select(AuthToken.token_hash).first())["token_hash"]) == 64


async def test_repeated_failures_lock_the_name_with_retry_after(client, users):
    await users.make("staff", AN_VIEN, username="lan.test")
    for _ in range(FREE_ATTEMPTS - 1):
        wrong = await client.post("/api/auth/login", json={"username": "lan.test", "password": "wrong-password"})
        assert wrong.status_code == 401
    locking = await client.post("/api/auth/login", json={"username": "lan.test", "password": "wrong-password"})
    assert locking.status_code == 401
    # Now even the right password is refused until the lock passes.
    locked = await client.post("/api/auth/login", json={"username": "lan.test", "password": users.password})
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= lock_seconds(FREE_ATTEMPTS)
    # Once the lock has passed, the right password works and the count resets.
    await LoginLimit.update({LoginLimit.locked_until: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}, force=True)
    ok = await client.post("/api/auth/login", json={"username": "lan.test", "password": users.password})
    assert ok.status_code == 200
    assert not await LoginLimit.exists().where(LoginLimit.username == "lan.test")


def test_lock_grows_and_is_capped():
    assert [lock_seconds(n) for n in range(FREE_ATTEMPTS)] == [0] * FREE_ATTEMPTS
    locks = [lock_seconds(FREE_ATTEMPTS + n) for n in range(10)]
    assert locks == sorted(locks) and locks[0] == 30 and locks[-1] == 15 * 60


async def test_unknown_names_are_throttled_too_and_answer_like_a_wrong_password(client, users):
    answer = await client.post("/api/auth/login", json={"username": "nobody", "password": "whatever-1"})
    assert answer.status_code == 401 and answer.json()["detail"] == "Sai tên đăng nhập hoặc mật khẩu."
    assert (await LoginLimit.select().where(LoginLimit.username == "nobody").first())["failures"] == 1


async def test_remembered_log_in_lasts_weeks_and_plain_one_hours(client, users):
    await users.make("staff", AN_VIEN, username="phone.user")
    now = dt.datetime.now(dt.UTC)
    short = (await client.post("/api/auth/login", json={"username": "phone.user", "password": users.password})).json()
    long = (
        await client.post(
            "/api/auth/login", json={"username": "phone.user", "password": users.password, "remember": True}
        )
    ).json()
    assert dt.datetime.fromisoformat(short["expires_at"]) - now < dt.timedelta(hours=13)
    assert dt.datetime.fromisoformat(long["expires_at"]) - now > dt.timedelta(days=29)


async def test_expired_tokens_are_refused(client, users):
    headers = await users.make("planner")
    await AuthToken.update({AuthToken.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)}, force=True)
    from procurement.accounts.users import clear_token_cache

    clear_token_cache()
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401


async def test_api_tokens_for_scripts_work_until_revoked(client, users):
    headers = await users.make("finance")
    made = (await client.post("/api/auth/tokens", json={"name": "báo cáo hằng đêm"}, headers=headers)).json()
    script = {"Authorization": f"Bearer {made['token']}"}
    me = (await client.get("/api/auth/me", headers=script)).json()
    assert me["role"] == "finance"
    listed = (await client.get("/api/auth/tokens", headers=headers)).json()
    assert {"name": "báo cáo hằng đêm", "kind": "api", "revoked": False}.items() <= next(
        t for t in listed if t["id"] == made["id"]
    ).items()
    assert (await client.delete(f"/api/auth/tokens/{made['id']}", headers=headers)).status_code == 204
    assert (await client.get("/api/auth/me", headers=script)).status_code == 401


async def test_a_user_cannot_revoke_someone_elses_token(client, users):
    owner = await users.make("finance")
    other = await users.make("planner")
    made = (await client.post("/api/auth/tokens", json={"name": "x"}, headers=owner)).json()
    assert (await client.delete(f"/api/auth/tokens/{made['id']}", headers=other)).status_code == 404


async def test_admins_manage_users_and_staff_need_a_commune(client, users):
    admin = await users.make("admin")
    no_commune = await client.post(
        "/api/users", json={"username": "cb.moi", "password": "mat-khau-dai", "role": "staff"}, headers=admin
    )
    assert no_commune.status_code == 422 and no_commune.json()["extra"][0]["key"] == "commune_code"
    made = await client.post(
        "/api/users",
        json={"username": "cb.moi", "password": "mat-khau-dai", "role": "staff", "commune_code": AN_VIEN},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    user = made.json()
    assert user["commune_code"] == AN_VIEN and user["province_code"] == "75"
    duplicate = await client.post(
        "/api/users",
        json={"username": "CB.MOI", "password": "mat-khau-dai", "role": "planner", "province_code": "75"},
        headers=admin,
    )
    assert duplicate.status_code == 409
    login = await client.post("/api/auth/login", json={"username": "cb.moi", "password": "mat-khau-dai"})
    token = {"Authorization": f"Bearer {login.json()['token']}"}
    assert (await client.get("/api/auth/me", headers=token)).status_code == 200
    promoted = await client.patch(f"/api/users/{user['id']}", json={"role": "planner"}, headers=admin)
    # A staff member made planner keeps the province of the commune it left.
    assert promoted.json() == {**user, "role": "planner", "commune_code": None, "province_code": "75"}
    deactivated = await client.patch(f"/api/users/{user['id']}", json={"active": False}, headers=admin)
    assert deactivated.json()["active"] is False
    # A deactivated user's session stops at once.
    assert (await client.get("/api/auth/me", headers=token)).status_code == 401
    short = await client.post(
        "/api/users", json={"username": "x1", "password": "short", "role": "planner"}, headers=admin
    )
    assert short.status_code == 400 and {e["key"] for e in short.json()["extra"]} >= {"username", "password"}
