"""Users, passwords, tokens and log-in throttling.

Passwords are hashed with argon2 (argon2-cffi). Tokens are random and stored
only as their SHA-256, so a leaked database does not leak working tokens.
Session tokens expire (12 hours, or 30 days when the phone is remembered);
API tokens for scripts live until revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field

from models.tables import AppUser, AuthToken, Commune, LoginThrottle
from procurement.core.actor import Actor
from procurement.core.errors import Conflict, DomainError, NotFound, TooManyAttempts, Unauthorized
from procurement.core.text import nfc
from procurement.core.transactions import write_transaction
from procurement.register.schemas import COMMUNE_ROLES, Role

SESSION_HOURS = 12
REMEMBERED_DAYS = 30
FREE_ATTEMPTS = 5
FIRST_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 15 * 60
TOKEN_CACHE_SECONDS = 30

_hasher = PasswordHasher()
# A hash to verify against for unknown users, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lock_seconds(failures: int) -> int:
    """0 for the first free attempts, then doubling from 30 s up to 15 minutes."""
    if failures < FREE_ATTEMPTS:
        return 0
    return min(FIRST_LOCK_SECONDS * 2 ** (failures - FREE_ATTEMPTS), MAX_LOCK_SECONDS)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    full_name: str = Field(default="", max_length=200)
    commune_code: str | None = Field(default=None, max_length=5, description="Required for staff")


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    role: Role | None = None
    full_name: str | None = Field(default=None, max_length=200)
    commune_code: str | None = Field(default=None, max_length=5)
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: Role
    commune_code: str | None
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
    AppUser.active,
)


async def _commune_id(code: str | None, role: str) -> int | None:
    if role not in COMMUNE_ROLES:
        if code:
            raise DomainError("Chỉ cán bộ xã và kế toán xã gắn với một xã.", field="commune_code")
        return None
    if not code:
        raise DomainError("Cán bộ xã và kế toán xã phải gắn với một xã.", field="commune_code")
    commune = await Commune.select(Commune.id).where(Commune.code == code).first()
    if commune is None:
        raise DomainError(f"Không có xã/phường mã {code}.", field="commune_code")
    return commune["id"]


async def create_user(data: UserCreate) -> UserOut:
    commune_id = await _commune_id(data.commune_code, data.role)
    async with write_transaction():
        if await AppUser.exists().where(AppUser.username == data.username.lower()):
            raise Conflict("Tên đăng nhập đã tồn tại.", field="username")
        user = AppUser(
            username=data.username.lower(),
            full_name=nfc(data.full_name),
            password_hash=hash_password(data.password),
            role=data.role.value,
            commune=commune_id,
            created_at=now(),
        )
        await user.save()
    return await get_user(user.id)


async def get_user(user_id: int) -> UserOut:
    row = await AppUser.select(*_USER_COLUMNS).where(AppUser.id == user_id).first()
    if row is None:
        raise NotFound("Không tìm thấy người dùng.")
    return UserOut(**row)


async def list_users() -> list[UserOut]:
    return [UserOut(**row) for row in await AppUser.select(*_USER_COLUMNS).order_by(AppUser.id)]


async def update_user(user_id: int, data: UserUpdate) -> UserOut:
    current = await get_user(user_id)
    changes = data.model_dump(exclude_unset=True)
    values: dict = {}
    role = changes.get("role") or current.role
    if "role" in changes or "commune_code" in changes:
        code = changes.get("commune_code", current.commune_code if role in COMMUNE_ROLES else None)
        values[AppUser.commune] = await _commune_id(code, role)
        values[AppUser.role] = Role(role).value
    if changes.get("full_name") is not None:
        values[AppUser.full_name] = nfc(changes["full_name"])
    if changes.get("active") is not None:
        values[AppUser.active] = changes["active"]
    if changes.get("password"):
        values[AppUser.password_hash] = hash_password(changes["password"])
    if values:
        async with write_transaction():
            await AppUser.update(values).where(AppUser.id == user_id)
        forget_user(user_id)
    return await get_user(user_id)


async def login(username: str, password: str, remember: bool = False) -> LoginResult:
    username = username.strip().lower()[:80]
    at = now()
    throttle = await LoginThrottle.select().where(LoginThrottle.username == username).first()
    if throttle and throttle["locked_until"] and throttle["locked_until"] > at:
        wait = int((throttle["locked_until"] - at).total_seconds()) + 1
        raise TooManyAttempts(f"Đăng nhập sai quá nhiều lần. Thử lại sau {wait} giây.", wait)
    user = await AppUser.select().where(AppUser.username == username).first()
    ok = password_matches(user["password_hash"] if user else _DUMMY_HASH, password)
    if not (ok and user and user["active"]):
        failures = (throttle["failures"] if throttle else 0) + 1
        locked_until = at + dt.timedelta(seconds=lock_seconds(failures)) if lock_seconds(failures) else None
        async with write_transaction():
            if throttle:
                await LoginThrottle.update(
                    {LoginThrottle.failures: failures, LoginThrottle.locked_until: locked_until}
                ).where(LoginThrottle.username == username)
            else:
                await LoginThrottle.insert(
                    LoginThrottle(username=username, failures=failures, locked_until=locked_until)
                )
        raise Unauthorized("Sai tên đăng nhập hoặc mật khẩu.", code="bad_credentials")
    if throttle:
        async with write_transaction():
            await LoginThrottle.delete().where(LoginThrottle.username == username)
    lifetime = dt.timedelta(days=REMEMBERED_DAYS) if remember else dt.timedelta(hours=SESSION_HOURS)
    token, row = await _issue_token(user["id"], "session", "đăng nhập", at + lifetime)
    return LoginResult(token=token, expires_at=row.expires_at, user=await get_user(user["id"]))


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


async def create_api_token(actor: Actor, name: str, days: int | None) -> NewToken:
    expires = now() + dt.timedelta(days=days) if days else None
    token, row = await _issue_token(actor.user_id, "api", nfc(name), expires)
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
    rows = await AuthToken.select().where(AuthToken.user == actor.user_id).order_by(AuthToken.id)
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


async def revoke_token(actor: Actor, token_id: int) -> None:
    row = (
        await AuthToken.select(AuthToken.token_hash)
        .where((AuthToken.id == token_id) & (AuthToken.user == actor.user_id))
        .first()
    )
    if row is None:
        raise NotFound("Không tìm thấy mã truy cập.")
    async with write_transaction():
        await AuthToken.update({AuthToken.revoked_at: now()}).where(AuthToken.id == token_id)
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
            AuthToken.user.commune.id.as_alias("commune_id"),
            AuthToken.user.commune.code.as_alias("commune_code"),
        )
        .where(AuthToken.token_hash == digest)
        .first()
    )
    _cache.pop(digest, None)
    if row is None or row["revoked_at"] is not None or not row["active"]:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= at:
        return None
    actor = Actor(
        user_id=row["user_id"],
        username=row["username"],
        role=row["role"],
        commune_id=row["commune_id"],
        commune_code=row["commune_code"],
    )
    _cache[digest] = _Cached(actor, row["expires_at"], time.monotonic())
    return actor
