"""Log-in, tokens and (for admins) users."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field

from api.errors import error_responses
from api.params import RowId
from api.security import ALL_ROLES, PUBLIC, SESSION_COOKIE, roles, set_session_cookie
from procurement.accounts import users
from procurement.accounts.users import LoginResult, NewToken, TokenOut, UserCreate, UserOut, UserUpdate

ANY_USER = roles(*ALL_ROLES)
ADMIN = roles("admin")


class LoginForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    remember: bool = Field(default=False, description="Keep this device logged in for 30 days")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    days: int = Field(
        default=users.API_TOKEN_DEFAULT_DAYS,
        ge=1,
        le=users.API_TOKEN_MAX_DAYS,
        description=f"Lifetime in days (at most {users.API_TOKEN_MAX_DAYS})",
    )


class Unlocked(BaseModel):
    cleared: int = Field(description="How many failure counters of the user name were removed")


class Me(BaseModel):
    username: str
    role: str
    commune_code: str | None
    province_code: str | None = Field(default=None, description="None: the whole country")


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", opt=PUBLIC, status_code=200, responses=error_responses(400, 401, 429))
    async def login(self, request: Request, data: JSONBody[LoginForm]) -> Response[LoginResult]:
        address = request.client.host if request.client else None
        result = await users.login(data.username, data.password, data.remember, address)
        response = Response(result)
        set_session_cookie(response, request, result.token, result.expires_at)
        return response

    @post("/logout", opt=ANY_USER, status_code=204, responses=error_responses(401))
    async def logout(self, request: Request) -> Response[None]:
        await users.logout(request.auth)
        response = Response(None, status_code=204)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @get("/me", opt=ANY_USER, responses=error_responses(401))
    async def me(self, request: Request) -> Me:
        actor = request.user
        return Me(
            username=actor.username,
            role=actor.role,
            commune_code=actor.commune_code,
            province_code=actor.province_code,
        )

    @get("/tokens", opt=ANY_USER, responses=error_responses(401))
    async def list_tokens(self, request: Request) -> list[TokenOut]:
        return await users.list_tokens(request.user)

    @post("/tokens", opt=ANY_USER, responses=error_responses(400, 401))
    async def create_token(self, request: Request, data: JSONBody[TokenRequest]) -> NewToken:
        return await users.create_api_token(request.user, data.name, data.days)

    @delete("/tokens/{token_id:int}", opt=ANY_USER, status_code=204, responses=error_responses(401, 404))
    async def revoke_token(self, request: Request, token_id: RowId) -> None:
        await users.revoke_token(request.user, token_id)


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]

    @get("/", opt=ADMIN, responses=error_responses(401, 403))
    async def list_users(self, request: Request) -> list[UserOut]:
        """A provincial admin sees the accounts of its province; the national admin every one."""
        return await users.list_users(request.user)

    @post("/", opt=ADMIN, responses=error_responses(400, 401, 403, 409, 422))
    async def create_user(self, request: Request, data: JSONBody[UserCreate]) -> UserOut:
        return await users.create_user(data, actor=request.user)

    @get("/{user_id:int}", opt=ADMIN, responses=error_responses(401, 403, 404))
    async def get_user(self, request: Request, user_id: RowId) -> UserOut:
        return await users.get_user(user_id, request.user)

    @patch("/{user_id:int}", opt=ADMIN, responses=error_responses(400, 401, 403, 404, 422))
    async def update_user(self, request: Request, user_id: RowId, data: JSONBody[UserUpdate]) -> UserOut:
        """A new ``password`` ends every session and API token of the user."""
        return await users.update_user(user_id, data, request.user)

    @post("/{user_id:int}/unlock", opt=ADMIN, status_code=200, responses=error_responses(401, 403, 404))
    async def unlock_user(self, request: Request, user_id: RowId) -> Unlocked:
        """Lift every log-in lock of the user, from every address (recorded as an account event)."""
        return Unlocked(cleared=await users.unlock_user(request.user, user_id))

    @get("/{user_id:int}/tokens", opt=ADMIN, responses=error_responses(401, 403, 404))
    async def list_user_tokens(self, request: Request, user_id: RowId) -> list[TokenOut]:
        await users.get_user(user_id, request.user)
        return await users.list_user_tokens(user_id)

    @delete(
        "/{user_id:int}/tokens/{token_id:int}", opt=ADMIN, status_code=204, responses=error_responses(401, 403, 404)
    )
    async def revoke_user_token(self, request: Request, user_id: RowId, token_id: RowId) -> None:
        await users.get_user(user_id, request.user)
        await users.revoke_token(request.user, token_id, owner_id=user_id)
