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


@main.group()
def report() -> None:
    """Reports, written to a file or to the screen."""


@report.command("disbursement")
@click.option(
    "--by",
    "by",
    type=click.Choice(["line", "commune", "month", "lagging", "province"]),
    default="commune",
    show_default=True,
)
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="csv", show_default=True)
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Report date (default today)")
@click.option("--province", default=None, help="Province code")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="File (default: screen; xlsx needs a file)",
)
def report_disbursement(by, fmt, as_of, province, output) -> None:
    """Disbursement progress by line, commune or month; the lagging communes; the province summary."""
    from procurement.finance import reports
    from procurement.finance.reports import Format, Report

    report_name = {
        "line": Report.by_line,
        "commune": Report.by_commune,
        "month": Report.by_month,
        "lagging": Report.lagging,
        "province": Report.provinces,
    }[by]
    if fmt == "xlsx" and not output:
        raise click.UsageError("--format xlsx needs -o FILE")
    today = as_of.date() if as_of else None
    frame = run(reports.run_report(report_name, today=today, province=province))
    body = reports.encode(frame, Format(fmt), reports.REPORTS[report_name][1])
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


async def _actor(username: str):
    from models.tables import AppUser
    from procurement.core.actor import Actor

    user = (
        await AppUser.select(
            AppUser.id,
            AppUser.username,
            AppUser.role,
            AppUser.commune.id.as_alias("commune_id"),
            AppUser.commune.code.as_alias("commune_code"),
        )
        .where(AppUser.username == username.lower())
        .first()
    )
    if user is None:
        raise click.ClickException(f"no user {username}")
    return Actor(
        user_id=user["id"],
        username=user["username"],
        role=user["role"],
        commune_id=user["commune_id"],
        commune_code=user["commune_code"],
    )


class _Bars:
    """One click progress bar per stage of an import (check, then write)."""

    def __init__(self):
        self.bar = None
        self.stage = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            label = {"check": "kiểm tra", "write": "ghi"}.get(stage, stage)
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()
            self.stage, self.done = stage, 0
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", required=True, help="Who imports (staff: only into their commune)")
@click.option("--commit", is_flag=True, help="Write the rows; without it, only a dry run")
def import_sheet(path: str, username: str, commit: bool) -> None:
    """Import devices from an XLSX/CSV file in the template (dry run unless --commit)."""
    from pathlib import Path

    from procurement.core.errors import DomainError
    from procurement.register import importing

    content = Path(path).read_bytes()
    bars = _Bars()

    async def go():
        actor = await _actor(username)
        use_case = importing.commit if commit else importing.dry_run
        return await use_case(actor, content, Path(path).name, bars)

    try:
        report = run(go())
    except importing.ImportRejected as error:
        bars.close()
        report = error.report
    except DomainError as error:
        bars.close()
        raise click.ClickException(error.message) from None
    bars.close()
    for issue in report.warnings:
        click.echo(f"cảnh báo: {issue.describe()}")
    for issue in report.errors:
        click.echo(f"lỗi: {issue.describe()}" + (f" (giá trị: {issue.value})" if issue.value else ""))
    verb = "đã" if report.committed else "sẽ"
    click.echo(
        f"{report.rows} dòng: {verb} tạo {report.create}, {verb} cập nhật {report.update}, "
        f"không đổi {report.unchanged}, lỗi {report.error_count}"
    )
    if report.error_count:
        sys.exit(1)


@main.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--user", "username", required=True, help="Whose view of the register (staff: their commune)")
@click.option("--commune", default=None, help="Only this commune code")
def export_sheet(path: str, username: str, commune: str | None) -> None:
    """Export the register in the import template (.xlsx or .csv by the file name)."""
    from pathlib import Path

    from procurement.register import importing
    from procurement.register.schemas import AssetFilter

    async def go():
        actor = await _actor(username)
        filters = AssetFilter(commune=commune)
        if path.lower().endswith(".csv"):
            return await importing.export_csv_bytes(actor, filters)
        return await importing.export_xlsx_bytes(actor, filters)

    Path(path).write_bytes(run(go()))
    click.echo(f"wrote {path}")


@main.command("import-template")
@click.argument("path", type=click.Path(dir_okay=False), default="mau-nhap-thiet-bi.xlsx")
def import_template(path: str) -> None:
    """Write the empty XLSX import template (with its guide sheet)."""
    from pathlib import Path

    from procurement.register import importing

    Path(path).write_bytes(run(importing.template_bytes()))
    click.echo(f"wrote {path}")


def _cli_actor(username: str | None):
    """The user the command acts as (their commune scoping applies); an admin without a name."""
    from models.tables import AppUser
    from procurement.core.actor import Actor

    async def go():
        if not username:
            return Actor(user_id=None, username="cli", role="admin")
        user = (
            await AppUser.select(
                AppUser.id,
                AppUser.username,
                AppUser.role,
                AppUser.commune.id.as_alias("commune_id"),
                AppUser.commune.code.as_alias("commune_code"),
            )
            .where(AppUser.username == username.lower())
            .first()
        )
        if user is None:
            raise click.ClickException(f"no user {username}")
        return Actor(
            user_id=user["id"],
            username=user["username"],
            role=user["role"],
            commune_id=user["commune_id"],
            commune_code=user["commune_code"],
        )

    return go()


@main.command()
@click.option("--commune", "commune_code", default=None, help="Every device of this commune (code)")
@click.option("--tag", "tags", multiple=True, help="A device's tag (repeatable)")
@click.option("--asset-id", type=int, default=None)
@click.option("--only-unprinted", is_flag=True, help="Only devices that never had a label printed")
@click.option("--stock", default="a4-3x8", show_default=True, help="a4-3x8 (70x37 mm) or a4-5x13 (38x21 mm)")
@click.option("--skip", default=0, show_default=True, help="Used labels to leave blank on the first sheet")
@click.option("--as-user", "username", default=None, help="Act as this user (their commune only)")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, writable=True),
    required=True,
    help="Output file: .pdf for sheets; .png or .svg for one label (--tag)",
)
def labels(commune_code, tags, asset_id, only_unprinted, stock, skip, username, out_path) -> None:
    """Write label sheets (PDF) or one label (PNG/SVG); sheets are recorded as printed."""
    from pydantic import ValidationError

    from labels.render import label_png, label_svg
    from procurement.core.errors import DomainError
    from procurement.register import labelling

    base_url = load().base_url

    async def go():
        actor = await _cli_actor(username)
        if out_path.endswith((".png", ".svg")):
            if len(tags) != 1:
                raise click.ClickException("one --tag for a PNG/SVG label")
            from labels.tags import parse_tag

            label = await labelling.one_label(actor, parse_tag(tags[0]), base_url)
            return (
                label_png(label.url, label.tag)
                if out_path.endswith(".png")
                else label_svg(label.url, label.tag).encode()
            ), 1
        selection = labelling.LabelSelection(
            commune_code=commune_code,
            tags=list(tags) or None,
            asset_id=asset_id,
            only_unprinted=only_unprinted,
            stock=stock,
            skip=skip,
        )
        return await labelling.print_sheet(actor, selection, base_url)

    try:
        content, count = run(go())
    except ValidationError as error:
        raise click.ClickException("; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())) from None
    except (DomainError, ValueError) as error:
        raise click.ClickException(getattr(error, "message", str(error))) from None
    with open(out_path, "wb") as file:
        file.write(content)
    click.echo(f"{count} label(s) written to {out_path}")


@main.command("stocktake-coverage")
@click.option("--province", default=None, help="Province code")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False, writable=True), default=None, help="CSV file; default: print"
)
def stocktake_coverage(province, since, out_path) -> None:
    """Stocktake coverage per commune (CSV)."""
    import datetime as dt

    from procurement.register import stocktake

    async def go():
        actor = await _cli_actor(None)
        when = since.replace(tzinfo=dt.UTC) if since else None
        return await stocktake.coverage(actor, province, when)

    frame = run(go())
    if out_path:
        frame.write_csv(out_path)
        click.echo(f"{frame.height} communes written to {out_path}")
    else:
        click.echo(frame.write_csv())


@main.command()
@click.option("--demo/--no-demo", default=True, help="Load demo data on first start")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--workers", type=int, default=None, help="Server processes (default: WORKERS, else one per core)")
def serve(demo: bool, host: str | None, port: int | None, workers: int | None) -> None:
    """Migrate, load demo data on first start, and serve with one process per core."""
    import uvicorn

    from procurement.seed.demo import DEMO_PASSWORD, demo_loaded, ensure_reference_data, load_demo

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
    # notice other processes' writes (PRAGMA data_version); a token revoked in one
    # worker stops working in the others within TOKEN_CACHE_SECONDS.
    uvicorn.run("api.asgi:app", host=host, port=port, log_level="info", workers=workers)


# --- planning reports: ``python -m api report priority|plan|shortage|fleet -o FILE`` ---------
# Subcommands of the ``report`` group above. A new report is one function: decorate it with
# ``@report.command()`` and ``@report_output``, compute a polars frame, hand it to ``write_report``.


def report_output(function):
    function = click.option(
        "-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True, help="File to write"
    )(function)
    function = click.option(
        "--format",
        "fmt",
        type=click.Choice(["csv", "xlsx", "json"]),
        default=None,
        help="Default: from the file name's extension",
    )(function)
    return function


def write_report(frame, columns, sheet: str, fmt: str | None, output: str) -> None:
    """Write ``frame`` as CSV/XLSX (Vietnamese headers of ``columns``) or JSON (all columns)."""
    from pathlib import Path

    from procurement.core.xlsx import write_csv, write_xlsx

    fmt = fmt or Path(output).suffix.lstrip(".").lower()
    if fmt == "csv":
        Path(output).write_bytes(write_csv(frame, columns))
    elif fmt == "xlsx":
        Path(output).write_bytes(write_xlsx(frame, columns, sheet))
    elif fmt == "json":
        frame.write_json(output)
    else:
        raise click.ClickException("--format must be csv, xlsx or json (or give the file that extension)")
    click.echo(f"{frame.height} rows written to {output}")


def area_options(function):
    function = click.option("--commune", default=None, help="Commune code")(function)
    function = click.option("--province", default=None, help="Province code")(function)
    return function


@report.command()
@area_options
@click.option("--category", default=None, help="Category code, e.g. desktop")
@click.option("--min-score", type=float, default=None)
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="PART=VALUE",
    help="Change a weight, e.g. --weight remote=15 (age, condition, place, shortage, remote, security)",
)
@report_output
def priority(province, commune, category, min_score, weights, fmt, output) -> None:
    """Devices ranked for replacement, with score parts and reasons."""
    from procurement.core.xlsx import PRIORITY_COLUMNS
    from procurement.planning import plans

    frame = run(
        plans.ranked_list(
            plans.Area(province, commune),
            weights=_weights(weights).to_weights(),
            category=category,
            min_score=min_score,
        )
    )
    write_report(frame, PRIORITY_COLUMNS, "Ưu tiên thay thế", fmt, output)


def _weights(pairs):
    from pydantic import ValidationError

    from procurement.planning.plans import WeightsIn

    try:
        values = {}
        for pair in pairs:
            name, _, value = pair.partition("=")
            values[name.strip()] = float(value)
        return WeightsIn(**values)
    except (ValueError, ValidationError) as error:
        raise click.BadParameter(str(error), param_hint="--weight") from None


@report.command()
@area_options
@click.option("--budget", "budget_vnd", type=int, required=True, help="Amount to spend, whole VND")
@click.option(
    "--price", "prices", multiple=True, metavar="CATEGORY=VND", help="Unit price, e.g. --price desktop=16000000"
)
@click.option(
    "--commune-budget",
    "commune_budgets",
    multiple=True,
    metavar="COMMUNE=VND",
    help="A commune's own allocation (repeat); communes not listed get nothing",
)
@click.option("--min-share", type=float, default=0.0, help="Share of the budget each commune gets first")
@click.option("--min-score", type=float, default=0.0)
@click.option("--weight", "weights", multiple=True, metavar="PART=VALUE")
@report_output
def plan(province, commune, budget_vnd, prices, commune_budgets, min_share, min_score, weights, fmt, output) -> None:
    """The replacement plan under a budget: what is bought, the running total, and what is left out and why."""
    from pydantic import ValidationError

    from api.controllers.planning import plan_export_frame
    from procurement.core.errors import DomainError
    from procurement.core.money import format_vnd
    from procurement.core.xlsx import PLAN_COLUMNS
    from procurement.planning import plans

    def pairs(values):
        return {k.strip(): int(v) for k, _, v in (p.partition("=") for p in values)}

    try:
        request = plans.PlanRequest(
            budget_vnd=budget_vnd,
            province=province,
            commune=commune,
            unit_prices=pairs(prices),
            commune_budgets=[{"commune_code": k, "budget_vnd": v} for k, v in pairs(commune_budgets).items()]
            if commune_budgets
            else None,
            min_share_per_commune=min_share,
            min_score=min_score,
            weights=_weights(weights),
        )
        frame = run(plans.plan(request))
    except (ValueError, ValidationError) as error:
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        raise click.ClickException(f"{error.field or ''}: {error.message}") from None
    summary = plans.plan_summary(frame, budget_vnd)
    click.echo(f"{summary['included']} lines chosen, {format_vnd(summary['spent_vnd'])} of {format_vnd(budget_vnd)}")
    write_report(
        plan_export_frame(frame) if (fmt or output.rsplit(".", 1)[-1]) != "json" else frame,
        PLAN_COLUMNS,
        "Kế hoạch",
        fmt,
        output,
    )


@report.command()
@area_options
@click.option("--all-communes", is_flag=True, help="Also communes that lack nothing")
@report_output
def shortage(province, commune, all_communes, fmt, output) -> None:
    """Needed, working and lacking computers, printers and scanners per commune."""
    from api.controllers.planning import SHORTAGE_COLUMNS, shortage_export_frame
    from procurement.planning import plans

    frame = run(plans.shortage(plans.Area(province, commune), lacking_only=not all_communes))
    write_report(shortage_export_frame(frame), SHORTAGE_COLUMNS, "Thiếu thiết bị", fmt, output)


@report.command()
@area_options
@click.option("--table", type=click.Choice(["by_commune", "age", "stocktake"]), default="by_commune", show_default=True)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Stocktake since (default: a year ago)")
@report_output
def fleet(province, commune, table, since, fmt, output) -> None:
    """Fleet overview: devices by commune × category × condition, age profile or stocktake coverage."""
    from api.controllers.planning import AGE_COLUMNS, FLEET_COLUMNS, STOCKTAKE_COLUMNS
    from procurement.planning import plans

    result = run(plans.fleet(plans.Area(province, commune), since=since.date() if since else None))
    frame, columns, sheet = {
        "by_commune": (result.by_commune, FLEET_COLUMNS, "Thiết bị theo xã"),
        "age": (result.age, AGE_COLUMNS, "Tuổi thiết bị"),
        "stocktake": (result.stocktake, STOCKTAKE_COLUMNS, "Kiểm kê"),
    }[table]
    write_report(frame, columns, sheet, fmt, output)


if __name__ == "__main__":
    main()
