"""Setting up and serving: migrations, demo and synthetic data, the web server."""

from __future__ import annotations

import sys

import click

from api import db
from api.cli import main, run
from api.settings import load


@main.command()
def migrate() -> None:
    """Apply database migrations and load provinces, communes and categories."""
    from procurement.seed.demo import ensure_reference_data

    async def go():
        await db.migrate()
        await ensure_reference_data()

    run(go())
    click.echo("migrations applied; reference data loaded")


@main.command()
@click.option("--seed", default=2025, show_default=True)
def demo(seed: int) -> None:
    """Load the demo data (Đồng Nai) and demo users."""
    from procurement.seed.demo import load_demo

    async def go():
        await db.migrate()
        return await load_demo(seed)

    click.echo(run(go()))


@main.command()
@click.option("--seed", default=1, show_default=True)
@click.option("--devices", default=150_000, show_default=True)
@click.option(
    "--budgets/--no-budgets", default=False, help="Also add budget lines, allocations, contracts and payments"
)
@click.option("--contracts", default=30_000, show_default=True, help="With --budgets")
@click.option("--payments", default=100_000, show_default=True, help="With --budgets")
def synthetic(seed: int, devices: int, budgets: bool, contracts: int, payments: int) -> None:
    """Generate the national synthetic data set (all 3,321 communes) for benchmarks."""
    from procurement.seed.demo import load_national
    from procurement.seed.synthetic_budget import load_national_budget

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


@main.command()
@click.option(
    "--demo", is_flag=True, default=False, help="Load the demo data and demo users on first start (`make run`)"
)
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--workers", type=int, default=None, help="Server processes (default: WORKERS, else one per core)")
def serve(demo: bool, host: str | None, port: int | None, workers: int | None) -> None:
    """Migrate and serve. Without --demo (production) no demo user is made, and the
    server refuses to start while a demo user still has the demo password."""
    import uvicorn

    from procurement.accounts import users
    from procurement.seed.demo import DEMO_PASSWORD, DEMO_USERS, demo_loaded, ensure_reference_data, load_demo

    settings = load()

    async def prepare() -> list[str]:
        await db.migrate()
        await ensure_reference_data()
        if demo:
            if not await demo_loaded():
                click.echo("loading demo data (first start)...")
                click.echo(await load_demo())
            return []
        return await users.users_with_password(DEMO_PASSWORD, [name for name, _, _ in DEMO_USERS])

    weak = run(prepare())
    if weak:
        raise click.ClickException(
            f"users {', '.join(weak)} still have the demo password: change it "
            "(python -m api set-password --username NAME) or serve with --demo for a demonstration"
        )
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    click.echo(
        f"\nServing on http://{host}:{port}/ with {workers} process(es)"
        "  (API under /api/, OpenAPI at /schema/openapi.json)"
    )
    if demo:
        click.echo(f"Demo log-in: admin / {DEMO_PASSWORD}  (also taichinh, kehoach, anvien)\n")
    sys.stdout.flush()
    # Each worker is a process of its own with its own event loop, caches and
    # connections: SQLite in WAL mode lets them read side by side while one writes
    # (writers queue on BEGIN IMMEDIATE and busy_timeout); the kept register frames
    # notice other processes' writes; a token revoked in one worker stops working in
    # the others within TOKEN_CACHE_SECONDS.
    uvicorn.run("api.asgi:app", host=host, port=port, log_level="info", proxy_headers=True, workers=workers)
