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
    made = cli("create-user", "--username", "script.owner", "--role", "finance", "--password", "mat-khau-dai")
    assert made.returncode == 0, made.stderr
    token = cli("token", "--username", "script.owner", "--name", "nightly")
    assert token.returncode == 0, token.stderr
    me = httpx.get(f"{live_server}/api/auth/me", headers={"Authorization": f"Bearer {token.stdout.strip()}"})
    assert me.json() == {"username": "script.owner", "role": "finance", "commune_code": None}
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
