"""The register from the command line: spreadsheets in and out, label sheets, stocktake coverage."""

from __future__ import annotations

import sys

import click

from api.cli import actor_named, main, run
from api.settings import load


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
        actor = await actor_named(username)
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
        actor = await actor_named(username)
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
        actor = await actor_named(username)
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
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="CSV or XLSX file (by its extension); default: print CSV",
)
def stocktake_coverage(province, since, out_path) -> None:
    """Stocktake coverage per commune (CSV or XLSX, Vietnamese headers)."""
    import datetime as dt
    from pathlib import Path

    from procurement.register import stocktake
    from procurement.register.stocktake_report import coverage_csv, coverage_xlsx

    async def go():
        actor = await actor_named(None)
        when = since.replace(tzinfo=dt.UTC) if since else None
        return await stocktake.coverage(actor, province, when)

    frame = run(go())
    when = since.replace(tzinfo=dt.UTC) if since else None
    if out_path:
        xlsx = out_path.lower().endswith(".xlsx")
        Path(out_path).write_bytes(coverage_xlsx(frame, province, when) if xlsx else coverage_csv(frame))
        click.echo(f"{frame.height} communes written to {out_path}")
    else:
        click.echo(coverage_csv(frame).decode("utf-8-sig"))
