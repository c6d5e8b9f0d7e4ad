"""Users and API tokens."""

from __future__ import annotations

import getpass

import click

from api.cli import main, run


@main.command("create-user")
@click.option("--username", required=True)
@click.option(
    "--role", type=click.Choice(["admin", "finance", "planner", "staff", "accountant", "national"]), required=True
)
@click.option("--commune", "commune_code", default=None, help="Commune code (staff and accountants)")
@click.option(
    "--province",
    "province_code",
    default=None,
    help="Province code (required for finance and planner; an admin without one is the national admin)",
)
@click.option("--full-name", default="")
@click.option("--password", default=None, help="Asked for when not given")
def create_user(username, role, commune_code, province_code, full_name, password) -> None:
    """Create a user."""
    from pydantic import ValidationError

    from procurement.accounts import users
    from procurement.core.errors import DomainError

    if password is None:
        password = getpass.getpass("Mật khẩu: ")
    try:
        data = users.UserCreate(
            username=username,
            password=password,
            role=role,
            full_name=full_name,
            commune_code=commune_code,
            province_code=province_code,
        )
        user = run(users.create_user(data))
    except ValidationError as error:
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        raise click.ClickException(f"{error.field or ''}: {error.message}") from None
    click.echo(f"created user {user.username} ({user.role}, province {user.province_code or 'national'})")


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
    from api.cli import actor_named

    return await actor_named(username)


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


@main.command("assign-province")
@click.option("--username", default=None, help="Give this user a province (with --province)")
@click.option("--province", "province_code", default=None, help="Province code, e.g. 75")
def assign_province(username: str | None, province_code: str | None) -> None:
    """Give accounts their province. Without options: commune accounts get their commune's;
    finance, planner and admin accounts without one get the province of the data when it
    holds exactly one (else they stay without: finance and planner then only read, an admin
    is the national admin). With --username and --province: that account gets that province."""
    from procurement.accounts import users
    from procurement.accounts.provinces import assign_existing_users
    from procurement.core.errors import DomainError

    if username or province_code:
        if not (username and province_code):
            raise click.ClickException("give both --username and --province")

        async def one():
            user = await _user_actor(username)
            return await users.update_user(user.user_id, users.UserUpdate(province_code=province_code))

        try:
            user = run(one())
        except DomainError as error:
            raise click.ClickException(f"{error.field or ''}: {error.message}") from None
        click.echo(f"{user.username} ({user.role}) now belongs to province {user.province_code}")
        return
    result = run(assign_existing_users())
    click.echo(f"provinces in the data: {', '.join(result.provinces_in_data) or '(none)'}")
    click.echo(f"assigned: {', '.join(result.assigned) or '(none)'}")
    if result.left_national:
        click.echo(
            "still without a province (finance/planner read only, admin national): "
            + ", ".join(result.left_national)
            + "; give each one with --username NAME --province CODE"
        )
