"""Reports: ``python -m api report disbursement|priority|plan|shortage|fleet``."""

from __future__ import annotations

import click

from api.cli import main, run


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

    async def go():
        from api.cli import actor_named

        return await reports.run_report(report_name, actor=await actor_named(None), today=today, province=province)

    frame = run(go())
    body = reports.encode(frame, Format(fmt), reports.REPORTS[report_name][1], as_of=today, province=province)
    if output:
        with open(output, "wb") as handle:
            handle.write(body)
        click.echo(f"{frame.height} rows written to {output}")
    else:
        click.echo(body.decode("utf-8-sig"))


# --- planning reports: ``python -m api report priority|plan|shortage|fleet -o FILE`` ---------
# Subcommands of the ``report`` group. A new report is one function: decorate it with
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


def write_report(
    frame, columns, sheet: str, fmt: str | None, output: str, area: tuple[str | None, str | None] = (None, None)
) -> None:
    """Write ``frame`` as CSV/XLSX (Vietnamese headers of ``columns``; XLSX titled with ``sheet``
    and the ``area`` (province, commune) it covers) or JSON (all columns)."""
    from pathlib import Path

    from procurement.core.xlsx import scope_text, write_csv, write_xlsx

    fmt = fmt or Path(output).suffix.lstrip(".").lower()
    if fmt == "csv":
        Path(output).write_bytes(write_csv(frame, columns))
    elif fmt == "xlsx":
        Path(output).write_bytes(write_xlsx(frame, columns, sheet, scope=scope_text(*area)))
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
    write_report(frame, PRIORITY_COLUMNS, "Ưu tiên thay thế", fmt, output, area=(province, commune))


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
        from procurement.core.actor import Actor

        frame = run(plans.plan(request, actor=Actor(user_id=0, username="cli", role="admin")))
    except (ValueError, ValidationError) as error:
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        raise click.ClickException(f"{error.field or ''}: {error.message}") from None
    summary = plans.plan_summary(frame, budget_vnd)
    click.echo(f"{summary['included']} lines chosen, {format_vnd(summary['spent_vnd'])} of {format_vnd(budget_vnd)}")
    write_report(frame, PLAN_COLUMNS, "Kế hoạch", fmt, output, area=(province, commune))


@report.command()
@area_options
@click.option("--all-communes", is_flag=True, help="Also communes that lack nothing")
@report_output
def shortage(province, commune, all_communes, fmt, output) -> None:
    """Needed, working and lacking computers, printers and scanners per commune."""
    from api.controllers.planning import SHORTAGE_COLUMNS
    from procurement.planning import plans

    frame = run(plans.shortage(plans.Area(province, commune), lacking_only=not all_communes))
    write_report(frame, SHORTAGE_COLUMNS, "Thiếu thiết bị", fmt, output, area=(province, commune))


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
    write_report(frame, columns, sheet, fmt, output, area=(province, commune))
