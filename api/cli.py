"""The one command-line entry point: ``python -m api COMMAND`` (or ``commune-assets``)."""

from __future__ import annotations

import asyncio
import getpass
import sys

import click

import models  # noqa: F401  (sets PICCOLO_CONF before any table is used)
from api import db
from api.settings import load


def run(coroutine):
    async def wrapped():
        await db.open_pool()
        try:
            return await coroutine
        finally:
            await db.close_pool()

    return asyncio.run(wrapped())


@click.group()
def main() -> None:
    """Commune IT assets and procurement tracker."""


@main.command()
def migrate() -> None:
    """Apply database migrations and load provinces, communes and categories."""
    from procurement.demo import ensure_reference_data

    async def go():
        await db.migrate()
        await ensure_reference_data()

    run(go())
    click.echo("migrations applied; reference data loaded")


@main.command()
@click.option("--seed", default=2025, show_default=True)
def demo(seed: int) -> None:
    """Load the demo data (Đồng Nai) and demo users."""
    from procurement.demo import load_demo

    async def go():
        await db.migrate()
        return await load_demo(seed)

    click.echo(run(go()))


@main.command()
@click.option("--seed", default=1, show_default=True)
@click.option("--devices", default=150_000, show_default=True)
@click.option("--budgets/--no-budgets", default=False, help="Also add budget lines, allocations, contracts and payments")
@click.option("--contracts", default=30_000, show_default=True, help="With --budgets")
@click.option("--payments", default=100_000, show_default=True, help="With --budgets")
def synthetic(seed: int, devices: int, budgets: bool, contracts: int, payments: int) -> None:
    """Generate the national synthetic data set (all 3,321 communes) for benchmarks."""
    from procurement.demo import load_national
    from procurement.synthetic_budget import load_national_budget

    async def go():
        await db.migrate()
        result = {}
        if devices:
            with click.progressbar(length=devices, label="devices") as bar:
                done = [0]

                def progress(n: int) -> None:
                    bar.update(n - done[0])
                    done[0] = n

                result = await load_national(seed, devices, progress)
        if budgets:
            result["budgets"] = await load_national_budget(contracts, payments, seed)
        return result

    click.echo(run(go()))


@main.group()
def report() -> None:
    """Reports, written to a file or to the screen."""


@report.command("disbursement")
@click.option("--by", "by", type=click.Choice(["line", "commune", "month", "lagging", "province"]), default="commune", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="csv", show_default=True)
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Report date (default today)")
@click.option("--province", default=None, help="Province code")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None, help="File (default: screen; xlsx needs a file)")
def report_disbursement(by, fmt, as_of, province, output) -> None:
    """Disbursement progress by line, commune or month; the lagging communes; the province summary."""
    from procurement import finance_reports
    from procurement.finance_reports import Format, Report

    report_name = {"line": Report.by_line, "commune": Report.by_commune, "month": Report.by_month,
                   "lagging": Report.lagging, "province": Report.provinces}[by]
    if fmt == "xlsx" and not output:
        raise click.UsageError("--format xlsx needs -o FILE")
    today = as_of.date() if as_of else None
    frame = run(finance_reports.run_report(report_name, today=today, province=province))
    body = finance_reports.encode(frame, Format(fmt), finance_reports.REPORTS[report_name][1])
    if output:
        with open(output, "wb") as handle:
            handle.write(body)
        click.echo(f"{frame.height} rows written to {output}")
    else:
        click.echo(body.decode("utf-8-sig"))


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["admin", "finance", "planner", "staff"]), required=True)
@click.option("--commune", "commune_code", default=None, help="Commune code (staff only)")
@click.option("--full-name", default="")
@click.option("--password", default=None, help="Asked for when not given")
def create_user(username, role, commune_code, full_name, password) -> None:
    """Create a user."""
    from pydantic import ValidationError

    from procurement import accounts
    from procurement.errors import DomainError

    if password is None:
        password = getpass.getpass("Mật khẩu: ")
    try:
        data = accounts.UserCreate(
            username=username, password=password, role=role, full_name=full_name, commune_code=commune_code
        )
        user = run(accounts.create_user(data))
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
    from procurement import accounts
    from procurement.actor import Actor

    async def go():
        user = await AppUser.select().where(AppUser.username == username.lower()).first()
        if user is None:
            raise click.ClickException(f"no user {username}")
        actor = Actor(user_id=user["id"], username=user["username"], role=user["role"])
        return await accounts.create_api_token(actor, name, days)

    click.echo(run(go()).token)


@main.command()
@click.option("--demo/--no-demo", default=True, help="Load demo data on first start")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
def serve(demo: bool, host: str | None, port: int | None) -> None:
    """Migrate, load demo data on first start, and serve."""
    import uvicorn

    from procurement.demo import DEMO_PASSWORD, demo_loaded, ensure_reference_data, load_demo

    settings = load()

    async def prepare():
        await db.migrate()
        await ensure_reference_data()
        if demo and not await demo_loaded():
            click.echo("loading demo data (first start)...")
            click.echo(await load_demo())

    run(prepare())
    host = host or settings.host
    port = port or settings.port
    click.echo(f"\nServing on http://{host}:{port}/  (API under /api/, OpenAPI at /schema/openapi.json)")
    if demo:
        click.echo(f"Demo log-in: admin / {DEMO_PASSWORD}  (also taichinh, kehoach, anvien)\n")
    sys.stdout.flush()
    uvicorn.run("api.asgi:app", host=host, port=port, log_level="info")


if __name__ == "__main__":
    main()
