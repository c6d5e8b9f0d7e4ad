"""Users and API tokens."""

from __future__ import annotations

import getpass

import click

from api.cli import main, run


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["admin", "finance", "planner", "staff"]), required=True)
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
@click.option("--days", type=int, default=None, help="Lifetime; default until revoked")
def token(username: str, name: str, days: int | None) -> None:
    """Make a long-lived API token for a script; prints it once."""
    from models.tables import AppUser
    from procurement.accounts import users
    from procurement.core.actor import Actor

    async def go():
        user = await AppUser.select().where(AppUser.username == username.lower()).first()
        if user is None:
            raise click.ClickException(f"no user {username}")
        actor = Actor(user_id=user["id"], username=user["username"], role=user["role"])
        return await users.create_api_token(actor, name, days)

    click.echo(run(go()).token)
