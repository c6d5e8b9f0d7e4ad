"""The command-line entry point, run as a user would (its own process)."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from models.tables import Asset, AssetEvent, Commune, Province


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api", *args], env=os.environ.copy(), capture_output=True, text=True, timeout=300
    )


async def test_reference_data_is_the_2025_structure(database):
    assert await Province.count() == 34
    assert await Commune.count() == 3321
    assert await Commune.count().where(Commune.province.code == "75") == 95
    an_vien = await Commune.select(Commune.code, Commune.province.name).where(Commune.name == "Xã An Viễn").first()
    assert an_vien == {"code": "26296", "province.name": "Đồng Nai"}
    # Migrating again changes nothing.
    assert cli("migrate").returncode == 0
    assert await Commune.count() == 3321


async def test_create_user_and_token_give_a_working_script_token(live_server, clean):
    unplaced = cli("create-user", "--username", "script.owner", "--role", "finance", "--password", "mat-khau-dai")
    assert unplaced.returncode != 0 and "province_code" in unplaced.stderr
    made = cli(
        "create-user",
        "--username",
        "script.owner",
        "--role",
        "finance",
        "--province",
        "75",
        "--password",
        "mat-khau-dai",
    )
    assert made.returncode == 0, made.stderr
    token = cli("token", "--username", "script.owner", "--name", "nightly")
    assert token.returncode == 0, token.stderr
    me = httpx.get(f"{live_server}/api/auth/me", headers={"Authorization": f"Bearer {token.stdout.strip()}"})
    assert me.json() == {"username": "script.owner", "role": "finance", "commune_code": None, "province_code": "75"}
    refused = cli("create-user", "--username", "bad", "--role", "staff", "--password", "mat-khau-dai")
    assert refused.returncode != 0 and "commune_code" in refused.stderr


async def test_demo_and_synthetic_data_load_with_history(clean):
    demo = cli("demo")
    assert demo.returncode == 0, demo.stderr
    demo_assets = await Asset.count()
    assert demo_assets > 1000
    assert await Asset.count().where(Asset.commune.province.code != "75") == 0
    assert await AssetEvent.count() == demo_assets  # every generated device has its history
    synthetic = cli("synthetic", "--seed", "3", "--devices", "5000")
    assert synthetic.returncode == 0, synthetic.stderr
    added = await Asset.count() - demo_assets
    assert 4500 <= added <= 5500
    provinces_with_devices = await Asset.select(Asset.commune.province.code).distinct()
    assert len(provinces_with_devices) == 34


async def test_production_serve_refuses_while_a_demo_user_keeps_the_demo_password(clean):
    from procurement.accounts import users
    from procurement.seed.demo import DEMO_PASSWORD

    await users.create_user(users.UserCreate(username="admin", password=DEMO_PASSWORD, role="admin"), check_rules=False)
    refused = cli("serve", "--port", "1")
    assert refused.returncode != 0 and "admin" in refused.stderr and "demo" in refused.stderr
    changed = cli("set-password", "--username", "admin", "--password", "ca-phe-sua-da-sang")
    assert changed.returncode == 0, changed.stderr
    weak = cli("set-password", "--username", "admin", "--password", "matkhau123")
    assert weak.returncode != 0 and "password" in weak.stderr


async def test_unlock_from_the_command_line_lifts_the_lock_and_is_recorded(clean):
    from models.tables import AccountEvent, LoginLimit
    from procurement.accounts import users
    from procurement.accounts.throttle import FREE_ATTEMPTS, count_attempt

    made = await users.create_user(
        users.UserCreate(username="bi.khoa", password="ca-phe-sua-da-sang", role="planner", province_code="75")
    )
    for _ in range(FREE_ATTEMPTS):
        await count_attempt("bi.khoa", "10.0.0.1")
    assert await LoginLimit.exists().where(LoginLimit.locked_until.is_not_null())
    unlocked = cli("unlock", "--username", "bi.khoa")
    assert unlocked.returncode == 0, unlocked.stderr
    assert not await LoginLimit.exists().where(LoginLimit.username == "bi.khoa")
    assert await AccountEvent.select(AccountEvent.kind).where(AccountEvent.user == made.id).output(as_list=True) == [
        "unlock"
    ]


async def test_assign_province_gives_accounts_their_province(clean):
    made = cli("create-user", "--username", "ke.hoach.cu", "--role", "national", "--password", "mat-khau-dai-hon")
    assert made.returncode == 0, made.stderr
    one = cli("assign-province", "--username", "ke.hoach.cu", "--province", "01")
    assert one.returncode != 0 and "province_code" in one.stderr  # the national role has none
    cli("create-user", "--username", "tc.cu", "--role", "admin", "--password", "mat-khau-dai-hon")
    given = cli("assign-province", "--username", "tc.cu", "--province", "01")
    assert given.returncode == 0 and "province 01" in given.stdout, given.stderr
    step = cli("assign-province")
    assert step.returncode == 0 and "provinces in the data" in step.stdout, step.stderr
