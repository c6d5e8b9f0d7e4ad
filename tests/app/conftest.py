"""Test set-up: one fresh database per run, on the engine ``DATABASE_URL`` names.

SQLite (default): a temporary file. PostgreSQL: a new database created next to
the one in the URL and dropped afterwards, so parallel runs never collide.
The URL must be settled before ``models`` is imported, hence the work at import.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import uuid
from urllib.parse import urlparse, urlunparse

import pytest

# Browser and live-server fixtures for page tests.
from tests.support.browser import browser, live_server, phone  # noqa: E402,F401  (page fixtures)

_SOURCE_URL = os.environ.get("DATABASE_URL", "")
_CREATED_PG_DB: tuple[str, str] | None = None


def _make_pg_database(url: str) -> str:
    import asyncpg

    global _CREATED_PG_DB
    name = f"ca_test_{os.getpid()}_{secrets.token_hex(3)}"

    async def create():
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    _CREATED_PG_DB = (url, name)
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def _drop_pg_database() -> None:
    import asyncpg

    if not _CREATED_PG_DB:
        return
    url, name = _CREATED_PG_DB

    async def drop():
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(drop())


if _SOURCE_URL.startswith("postgres"):
    os.environ["DATABASE_URL"] = _make_pg_database(_SOURCE_URL)
    ENGINE = "postgresql"
else:
    _tmp = tempfile.mkdtemp(prefix="ca-test-")
    os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/test.sqlite"
    ENGINE = "sqlite"

os.environ.setdefault("BASE_URL", "http://testserver")
# Device photos go to a folder of the run's own (the page tests' server process inherits it).
os.environ.setdefault("PHOTO_DIR", tempfile.mkdtemp(prefix="ca-photos-"))
# Cheap argon2 for the tests (production: 64 MiB, 3 passes, about 150 ms a hash). Hashes
# carry their parameters, so verification of other costs is still exercised.
os.environ.setdefault("ARGON2_TIME_COST", "1")
os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("ARGON2_PARALLELISM", "1")

import models  # noqa: E402,F401
from api import db  # noqa: E402
from api.app import create_app  # noqa: E402
from models.tables import AppUser  # noqa: E402
from procurement.accounts import users as accounts  # noqa: E402
from procurement.accounts.users import UserCreate  # noqa: E402
from procurement.register.schemas import AssetCreate  # noqa: E402
from procurement.seed.demo import ensure_reference_data  # noqa: E402


def pytest_report_header(config):
    return f"database engine: {ENGINE} ({os.environ['DATABASE_URL'].split('@')[-1]})"


def pytest_unconfigure(config):
    _drop_pg_database()


@pytest.fixture(scope="session")
def engine_name() -> str:
    return ENGINE


@pytest.fixture(scope="session")
async def database():
    await db.migrate()
    await ensure_reference_data()
    await db.open_pool()
    yield
    await db.close_pool()


@pytest.fixture(scope="session")
async def app(database):
    return create_app()


@pytest.fixture
async def client(app):
    """Calls the app in the test's own event loop (the PostgreSQL pool lives there)."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


async def wipe_register() -> None:
    """Delete what tests create, children first; reference data (provinces,
    communes, categories) stays. New tables are picked up without listing them."""
    from piccolo.apps.migrations.tables import Migration
    from piccolo.conf.apps import Finder
    from piccolo.table import sort_table_classes

    from models.tables import Category, Commune, Province

    keep = {Province, Commune, Category, Migration}
    for table in reversed(sort_table_classes(Finder().get_table_classes())):
        if table not in keep:
            await table.delete(force=True)
    accounts.clear_token_cache()
    await Commune.update({Commune.officials: 0, Commune.remote: False, Commune.has_service_point: True}, force=True)


@pytest.fixture
async def clean(database):
    await wipe_register()
    yield


AN_VIEN = "26296"  # Xã An Viễn, Đồng Nai
OTHER_COMMUNE = "26299"  # another Đồng Nai commune
DONG_NAI = "75"
HA_NOI = "01"
HA_NOI_COMMUNE = "00070"  # Phường Hoàn Kiếm, Hà Nội


class Users:
    """Make users of each role and log them in; returns auth headers."""

    def __init__(self, client):
        self.client = client
        self.password = "mat-khau-thu-nghiem"

    async def make(
        self, role: str, commune_code: str | None = None, username: str | None = None, province: str | None = None
    ) -> dict:
        """``province``: the account's province; finance and planner default to Đồng Nai (the
        province of the test communes), an admin without one is the national admin."""
        username = username or f"{role}-{uuid.uuid4().hex[:8]}"
        if province is None and role in ("finance", "planner"):
            province = DONG_NAI
        await accounts.create_user(
            UserCreate(
                username=username, password=self.password, role=role, commune_code=commune_code, province_code=province
            )
        )
        response = await self.client.post("/api/auth/login", json={"username": username, "password": self.password})
        assert response.status_code == 200, response.text
        # The log-in also set a session cookie; tests say who they are by header only.
        self.client.cookies.clear()
        return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
async def users(client, clean):
    return Users(client)


def asset_payload(**overrides) -> dict:
    payload = {
        "category": "desktop",
        "commune_code": AN_VIEN,
        "make": "Dell",
        "model": "OptiPlex 3080",
        "serial": f"SN-{uuid.uuid4().hex[:10]}",
        "acquired_on": "2019-03-15",
        "cost_vnd": 15_000_000,
    }
    payload.update(overrides)
    return payload


async def make_asset(**overrides) -> int:
    """Register an asset directly through the domain (as an admin)."""
    from procurement.core.actor import Actor
    from procurement.register.devices import register_asset

    admin = await AppUser.select(AppUser.id).where(AppUser.role == "admin").first()
    actor = Actor(user_id=admin["id"] if admin else 0, username="fixture", role="admin")
    if admin is None:
        user = await accounts.create_user(
            UserCreate(username=f"fixture-{uuid.uuid4().hex[:6]}", password="fixture-mat-khau", role="admin")
        )
        actor = Actor(user_id=user.id, username=user.username, role="admin")
    out = await register_asset(actor, AssetCreate(**asset_payload(**overrides)))
    return out.id


async def dispose_through_file(client, asset_id: int, admin: dict, *, carry_out: bool = True) -> int:
    """Dispose of a device the only way the law allows: its disposal file (a request on the
    ground "repair not worth it" with its estimate, the province's decision, carried out by
    sale). ``admin``: headers of an admin, who may do all three. Answers the file's id;
    ``carry_out=False`` stops at the request (the device then awaits disposal)."""
    import datetime as dt

    from procurement.core.clock import today_vn

    today = today_vn()
    request = {"ground": "repair_not_worth", "repair_estimate_vnd": 10**12, "reason": "Hỏng bo mạch chủ"}
    opened = await client.post(f"/api/assets/{asset_id}/disposal-files", json=request, headers=admin)
    assert opened.status_code == 201, opened.text
    file_id = opened.json()["id"]
    if carry_out:
        decided = {"decision_number": "9/QĐ-UBND", "decision_date": (today - dt.timedelta(days=1)).isoformat()}
        approved = await client.post(f"/api/disposal-files/{file_id}/approve", json=decided, headers=admin)
        assert approved.status_code == 200, approved.text
        done = {"method": "sale", "carried_out_on": today.isoformat(), "proceeds_vnd": 0}
        carried = await client.post(f"/api/disposal-files/{file_id}/carry-out", json=done, headers=admin)
        assert carried.status_code == 200, carried.text
    return file_id
