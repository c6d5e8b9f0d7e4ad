"""Users, passwords, tokens and log-in throttling.

Passwords are hashed with argon2id off the event loop (``passwords.py``), and must
pass the password rules there. Tokens are random and stored only as their SHA-256,
so a leaked database does not leak working tokens. Session tokens expire (12 hours,
or 30 days when the phone is remembered); API tokens for scripts expire after the
days their maker chose, at most ``API_TOKEN_MAX_DAYS``. Log-in failures are
throttled by user name and client address together (``throttle.py``). A password
reset ends every session and token of the user. Admin actions on an account are
recorded as account events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import time
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from models.tables import AccountEvent, AppUser, AuthToken, Commune, Province
from procurement.accounts import passwords, throttle
from procurement.accounts.passwords import check_password
from procurement.accounts.throttle import FREE_ATTEMPTS, lock_seconds  # noqa: F401  (re-exported)
from procurement.core.actor import Actor
from procurement.core.clock import now
from procurement.core.errors import Conflict, DomainError, Forbidden, NotFound, Unauthorized
from procurement.core.text import nfc
from procurement.core.transactions import write_transaction
from procurement.register.schemas import COMMUNE_ROLES, Role

SESSION_HOURS = 12
REMEMBERED_DAYS = 30
TOKEN_CACHE_SECONDS = 30
# API tokens: their maker chooses the lifetime, up to this many days (default one year).
API_TOKEN_DEFAULT_DAYS = int(os.environ.get("API_TOKEN_DEFAULT_DAYS") or 90)
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS") or 365)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(
        min_length=8, max_length=200, description="At least 12 characters, not the user name, not a common password"
    )
    role: Role
    full_name: str = Field(default="", max_length=200)
    commune_code: str | None = Field(default=None, max_length=5, description="Required for staff")
    province_code: str | None = Field(
        default=None,
        max_length=2,
        description="Required for finance and planner; an admin without one is the national admin;"
        " commune roles get their commune's",
    )


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    role: Role | None = None
    full_name: str | None = Field(default=None, max_length=200)
    commune_code: str | None = Field(default=None, max_length=5)
    province_code: str | None = Field(default=None, max_length=2)
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: Role
    commune_code: str | None
    province_code: str | None = Field(description="None: the whole country")
    active: bool


class LoginResult(BaseModel):
    token: str
    expires_at: dt.datetime | None
    user: UserOut


class TokenOut(BaseModel):
    id: int
    name: str
    kind: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked: bool


class NewToken(TokenOut):
    token: str = Field(description="Shown once; only its hash is kept")


_USER_COLUMNS = (
    AppUser.id,
    AppUser.username,
    AppUser.full_name,
    AppUser.role,
    AppUser.commune.code.as_alias("commune_code"),
    AppUser.province.code.as_alias("province_code"),
    AppUser.active,
)


async def _placement(
    commune_code: str | None, province_code: str | None, role: str, actor: Actor | None
) -> tuple[int | None, int | None]:
    """The commune and province of an account of ``role``: commune roles have a commune (and
    its province); finance and planner one province; an admin one or none (the national
    admin); the national role none. A provincial admin places accounts in its own province only."""
    commune_id = province_id = None
    if role in COMMUNE_ROLES:
        if not commune_code:
            raise DomainError("Cán bộ xã và kế toán xã phải gắn với một xã.", field="commune_code")
        commune = await Commune.select(Commune.id, Commune.province).where(Commune.code == commune_code).first()
        if commune is None:
            raise DomainError(f"Không có xã/phường mã {commune_code}.", field="commune_code")
        commune_id, province_id = commune["id"], commune["province"]
        if province_code:
            given = await Province.select(Province.id).where(Province.code == province_code).first()
            if given is None or given["id"] != province_id:
                raise DomainError("Xã/phường không thuộc tỉnh/thành đã chọn.", field="province_code")
    else:
        if commune_code:
            raise DomainError("Chỉ cán bộ xã và kế toán xã gắn với một xã.", field="commune_code")
        if role == Role.national:
            if province_code:
                raise DomainError("Tài khoản cấp Bộ xem toàn quốc, không gắn với một tỉnh.", field="province_code")
        elif province_code:
            province = await Province.select(Province.id).where(Province.code == province_code).first()
            if province is None:
                raise DomainError(f"Không có tỉnh/thành mã {province_code}.", field="province_code")
            province_id = province["id"]
        elif role != Role.admin:
            raise DomainError("Tài khoản tài chính và kế hoạch phải gắn với một tỉnh/thành.", field="province_code")
    if actor is not None and actor.province_id is not None and province_id != actor.province_id:
        # A provincial admin: accounts of its own province only (no national ones).
        raise Forbidden("Chỉ quản trị toàn quốc tạo được tài khoản ngoài tỉnh/thành của mình.")
    return commune_id, province_id


async def record_event(user_id: int, kind: str, actor: Actor | None, note: str = "") -> None:
    """An account event (unlock, password reset, token revoked); inside the caller's transaction."""
    await AccountEvent.insert(
        AccountEvent(user=user_id, kind=kind, actor=actor.user_id if actor else None, at=now(), note=note)
    )


async def create_user(data: UserCreate, *, check_rules: bool = True, actor: Actor | None = None) -> UserOut:
    """``check_rules=False`` only for the demo loader, whose shared password the
    production ``serve`` refuses to run with (see ``users_with_password``). ``actor``:
    the admin making it (a provincial admin makes accounts of its province only);
    None for the command line."""
    if check_rules:
        check_password(data.password, data.username)
    commune_id, province_id = await _placement(data.commune_code, data.province_code, data.role, actor)
    password_hash = await passwords.hash_password(data.password)
    async with write_transaction():
        if await AppUser.exists().where(AppUser.username == data.username.lower()):
            raise Conflict("Tên đăng nhập đã tồn tại.", field="username")
        user = AppUser(
            username=data.username.lower(),
            full_name=nfc(data.full_name),
            password_hash=password_hash,
            role=data.role.value,
            commune=commune_id,
            province=province_id,
            created_at=now(),
        )
        await user.save()
    return await get_user(user.id)


def _users_of(actor: Actor | None) -> list:
    """A provincial admin sees the accounts of its province; the national admin (and the
    command line, ``actor`` None) every account."""
    if actor is None or actor.province_id is None:
        return []
    return [AppUser.province == actor.province_id]


async def get_user(user_id: int, actor: Actor | None = None) -> UserOut:
    row = await AppUser.select(*_USER_COLUMNS).where(AppUser.id == user_id, *_users_of(actor)).first()
    if row is None:
        raise NotFound("Không tìm thấy người dùng.")
    return UserOut(**row)


async def list_users(actor: Actor | None = None) -> list[UserOut]:
    query = AppUser.select(*_USER_COLUMNS).order_by(AppUser.id)
    if where := _users_of(actor):
        query = query.where(*where)
    return [UserOut(**row) for row in await query]


async def update_user(user_id: int, data: UserUpdate, actor: Actor | None = None) -> UserOut:
    """A new password must pass the rules; setting it ends every session and API
    token of the user (a reset after a leak must shut the leaked ones out)."""
    current = await get_user(user_id, actor)
    changes = data.model_dump(exclude_unset=True)
    values: dict = {}
    role = changes.get("role") or current.role
    if {"role", "commune_code", "province_code"} & set(changes):
        code = changes.get("commune_code", current.commune_code if role in COMMUNE_ROLES else None)
        province = changes.get("province_code", current.province_code if role not in COMMUNE_ROLES else None)
        if role == Role.national and "province_code" not in changes:
            province = None
        commune_id, province_id = await _placement(code, province, role, actor)
        values[AppUser.commune] = commune_id
        values[AppUser.province] = province_id
        values[AppUser.role] = Role(role).value
    if changes.get("full_name") is not None:
        values[AppUser.full_name] = nfc(changes["full_name"])
    if changes.get("active") is not None:
        values[AppUser.active] = changes["active"]
    reset = bool(changes.get("password"))
    if reset:
        check_password(changes["password"], current.username)
        values[AppUser.password_hash] = await passwords.hash_password(changes["password"])
    if values:
        async with write_transaction():
            await AppUser.update(values).where(AppUser.id == user_id)
            if reset:
                await AuthToken.update({AuthToken.revoked_at: now()}).where(
                    (AuthToken.user == user_id) & AuthToken.revoked_at.is_null()
                )
                await record_event(user_id, "password_reset", actor, "mọi phiên và mã truy cập bị thu hồi")
        forget_user(user_id)
    return await get_user(user_id)


async def login(username: str, password: str, remember: bool = False, address: str | None = None) -> LoginResult:
    """Check a password, throttled by name and client ``address`` (see ``throttle``).

    Order matters: a place at the hashing gate first (refused at once when full, and
    then not counted), then the attempt is counted, then the hash is checked in a
    worker thread. Unknown names cost the same as known ones and count the same."""
    username = username.strip().lower()[:80]
    address = (address or "unknown")[:64]
    async with passwords.GATE.ticket():
        await throttle.count_attempt(username, address)
        user = (
            await AppUser.select(AppUser.id, AppUser.password_hash, AppUser.active)
            .where(AppUser.username == username)
            .first()
        )
        ok = await passwords.verify_password(user["password_hash"] if user else None, password)
        if not (ok and user and user["active"]):
            raise Unauthorized("Sai tên đăng nhập hoặc mật khẩu.", code="bad_credentials")
        await throttle.succeeded(username, address)
        if passwords.needs_rehash(user["password_hash"]):
            # Made with other argon2 parameters (older settings): bring it to the current cost.
            rehashed = await passwords.hash_password(password)
            async with write_transaction():
                await AppUser.update({AppUser.password_hash: rehashed}).where(
                    (AppUser.id == user["id"]) & (AppUser.password_hash == user["password_hash"])
                )
    at = now()
    lifetime = dt.timedelta(days=REMEMBERED_DAYS) if remember else dt.timedelta(hours=SESSION_HOURS)
    token, row = await _issue_token(user["id"], "session", "đăng nhập", at + lifetime)
    return LoginResult(token=token, expires_at=row.expires_at, user=await get_user(user["id"]))


async def unlock_user(actor: Actor | None, user_id: int) -> int:
    """An admin lifts every log-in lock of the user (from all addresses); recorded."""
    user = await get_user(user_id, actor)
    cleared = await throttle.clear_name(user.username)
    async with write_transaction():
        await record_event(user_id, "unlock", actor, f"{cleared} bộ đếm đăng nhập sai được xoá")
    return cleared


async def users_with_password(password: str, usernames: list[str]) -> list[str]:
    """Which of these users still have exactly this password (the demo one, for ``serve``)."""
    rows = await AppUser.select(AppUser.username, AppUser.password_hash).where(AppUser.username.is_in(usernames))
    found = []
    for row in rows:
        if await passwords.verify_password(row["password_hash"], password):
            found.append(row["username"])
    return sorted(found)


async def _issue_token(user_id: int, kind: str, name: str, expires_at: dt.datetime | None):
    token = secrets.token_urlsafe(32)
    row = AuthToken(
        user=user_id,
        token_hash=_digest(token),
        kind=kind,
        name=name,
        created_at=now(),
        expires_at=expires_at,
    )
    async with write_transaction():
        await row.save()
    return token, row


async def create_api_token(actor: Actor, name: str, days: int | None = None) -> NewToken:
    """An API token for a script, expiring after ``days`` (default 90, at most API_TOKEN_MAX_DAYS)."""
    days = API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= API_TOKEN_MAX_DAYS:
        raise DomainError(f"Thời hạn phải từ 1 đến {API_TOKEN_MAX_DAYS} ngày.", field="days")
    token, row = await _issue_token(actor.user_id, "api", nfc(name), now() + dt.timedelta(days=days))
    return NewToken(
        id=row.id,
        name=row.name,
        kind="api",
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked=False,
        token=token,
    )


async def list_tokens(actor: Actor) -> list[TokenOut]:
    return await list_user_tokens(actor.user_id)


async def list_user_tokens(user_id: int) -> list[TokenOut]:
    rows = await AuthToken.select().where(AuthToken.user == user_id).order_by(AuthToken.id)
    return [
        TokenOut(
            id=r["id"],
            name=r["name"],
            kind=r["kind"],
            created_at=r["created_at"],
            expires_at=r["expires_at"],
            revoked=r["revoked_at"] is not None,
        )
        for r in rows
    ]


async def revoke_token(actor: Actor, token_id: int, owner_id: int | None = None) -> None:
    """Revoke one of the actor's own tokens, or (an admin, with ``owner_id``) one of that user's,
    recorded as an account event of the owner."""
    owner = actor.user_id if owner_id is None else owner_id
    row = (
        await AuthToken.select(AuthToken.token_hash, AuthToken.name)
        .where((AuthToken.id == token_id) & (AuthToken.user == owner))
        .first()
    )
    if row is None:
        raise NotFound("Không tìm thấy mã truy cập.", field="token_id")
    async with write_transaction():
        await AuthToken.update({AuthToken.revoked_at: now()}).where(
            (AuthToken.id == token_id) & AuthToken.revoked_at.is_null()
        )
        if owner != actor.user_id:
            await record_event(owner, "token_revoked", actor, f"mã truy cập {token_id} ({row['name']})")
    _cache.pop(row["token_hash"], None)


async def logout(token: str) -> None:
    digest = _digest(token)
    async with write_transaction():
        await AuthToken.update({AuthToken.revoked_at: now()}).where(AuthToken.token_hash == digest)
    _cache.pop(digest, None)


@dataclass
class _Cached:
    actor: Actor
    expires_at: dt.datetime | None
    checked_at: float


# Token look-ups are on every request; a short in-process cache keeps them off the
# database. Log-out, revocation and user changes evict at once in this process.
_cache: dict[str, _Cached] = {}


def forget_user(user_id: int) -> None:
    for digest in [d for d, c in _cache.items() if c.actor.user_id == user_id]:
        _cache.pop(digest, None)


def clear_token_cache() -> None:
    _cache.clear()


async def authenticate(token: str) -> Actor | None:
    digest = _digest(token)
    cached = _cache.get(digest)
    at = now()
    if cached and time.monotonic() - cached.checked_at < TOKEN_CACHE_SECONDS:
        if cached.expires_at is None or cached.expires_at > at:
            return cached.actor
    row = (
        await AuthToken.select(
            AuthToken.expires_at,
            AuthToken.revoked_at,
            AuthToken.user.id.as_alias("user_id"),
            AuthToken.user.username.as_alias("username"),
            AuthToken.user.role.as_alias("role"),
            AuthToken.user.active.as_alias("active"),
            AuthToken.user._.commune._.id.as_alias("commune_id"),
            AuthToken.user._.commune._.code.as_alias("commune_code"),
            AuthToken.user._.province._.id.as_alias("province_id"),
            AuthToken.user._.province._.code.as_alias("province_code"),
        )
        .where(AuthToken.token_hash == digest)
        .first()
    )
    _cache.pop(digest, None)
    if row is None or row["revoked_at"] is not None or not row["active"]:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= at:
        return None
    actor = await actor_of(row)
    _cache[digest] = _Cached(actor, row["expires_at"], time.monotonic())
    return actor


async def actor_of(row: dict) -> Actor:
    """The actor of an account row (``user_id``, ``username``, ``role``, ``commune_id``,
    ``commune_code``, ``province_id``, ``province_code``), with its province's communes.
    A finance or planner account without a province reads every province and changes
    nothing (the national role) until an admin gives it one."""
    role = row["role"]
    province_id = row.get("province_id")
    if role in ("finance", "planner") and province_id is None:
        role = Role.national.value
    communes: frozenset[int] = frozenset()
    if province_id is not None and role not in COMMUNE_ROLES:
        communes = frozenset(r["id"] for r in await Commune.select(Commune.id).where(Commune.province == province_id))
    return Actor(
        user_id=row["user_id"],
        username=row["username"],
        role=role,
        commune_id=row.get("commune_id"),
        commune_code=row.get("commune_code"),
        province_id=province_id,
        province_code=row.get("province_code"),
        province_communes=communes,
    )


async def actor_named(username: str) -> Actor | None:
    """The actor of an account by name (the command line acts as a user)."""
    row = (
        await AppUser.select(
            AppUser.id.as_alias("user_id"),
            AppUser.username,
            AppUser.role,
            AppUser.commune._.id.as_alias("commune_id"),
            AppUser.commune._.code.as_alias("commune_code"),
            AppUser.province._.id.as_alias("province_id"),
            AppUser.province._.code.as_alias("province_code"),
        )
        .where(AppUser.username == username.lower())
        .first()
    )
    return None if row is None else await actor_of(row)
