"""Users and API tokens."""

from __future__ import annotations

import getpass

import click

from api.cli import main, run


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["admin", "finance", "planner", "staff", "accountant"]), required=True)
@click.option("--commune", "commune_code", default=None, help="Commune code (staff only)")
@click.option("--full-name", default="")
@click.option("--password", default=None, help="Asked for when not given")
def create_user(username, role, commune_code, full_name, password) -> None:
    """Create a user."""
    from pydantic import ValidationError

    from procurement.accounts import users
    from procurement.core.errors import DomainError

    if password is None:
        password = getpass.getpass("Mật khẩu: ")
    try:
        data = users.UserCreate(
            username=username, password=password, role=role, full_name=full_name, commune_code=commune_code
        )
        user = run(users.create_user(data))
    except ValidationError as error:
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        raise click.ClickException(f"{error.field or ''}: {error.message}") from None
    click.echo(f"created user {user.username} ({user.role})")


@main.command()
@click.option("--username", required=True)
@click.option("--name", required=True, help="What the token is for")
@click.option("--days", type=int, default=None, help="Lifetime in days (default 90, at most API_TOKEN_MAX_DAYS)")
def token(username: str, name: str, days: int | None) -> None:
    """Make an API token for a script; prints it once."""
    from procurement.accounts import users
    from procurement.core.errors import DomainError

    async def go():
        return await users.create_api_token(await _user_actor(username), name, days)

    try:
        click.echo(run(go()).token)
    except DomainError as error:
        raise click.ClickException(f"{error.field or ''}: {error.message}") from None


async def _user_actor(username: str):
    from models.tables import AppUser
    from procurement.core.actor import Actor

    user = await AppUser.select().where(AppUser.username == username.lower()).first()
    if user is None:
        raise click.ClickException(f"no user {username}")
    return Actor(user_id=user["id"], username=user["username"], role=user["role"])


@main.command()
@click.option("--username", required=True, help="The user whose log-in locks are lifted")
@click.option("--as-user", "admin_name", default=None, help="Admin recorded as doing it")
def unlock(username: str, admin_name: str | None) -> None:
    """Lift every log-in lock of a user (all addresses); recorded as an account event."""
    from procurement.accounts import users

    async def go():
        user = await _user_actor(username)
        actor = await _user_actor(admin_name) if admin_name else None
        return await users.unlock_user(actor, user.user_id)

    click.echo(f"unlocked {username.lower()}: {run(go())} failure counters removed")


@main.command("set-password")
@click.option("--username", required=True)
@click.option("--password", default=None, help="Asked for when not given")
def set_password(username: str, password: str | None) -> None:
    """Set a user's password (the rules apply); ends all their sessions and tokens."""
    from pydantic import ValidationError

    from procurement.accounts import users
    from procurement.core.errors import DomainError

    if password is None:
        password = getpass.getpass("Mật khẩu mới: ")

    async def go():
        user = await _user_actor(username)
        return await users.update_user(user.user_id, users.UserUpdate(password=password))

    try:
        run(go())
    except ValidationError as error:
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        raise click.ClickException(f"{error.field or ''}: {error.message}") from None
    click.echo(f"password of {username.lower()} changed; its sessions and tokens are revoked")
