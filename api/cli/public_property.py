"""Public property (tài sản công) from the command line: close a year, print a province's papers."""

from __future__ import annotations

import asyncio
import sys

import click

from api.cli import main, run


@main.group("public-property")
def public_property() -> None:
    """Public property (tài sản công): close a year, print the papers."""


def _national_actor():
    from procurement.core.actor import Actor

    return Actor(user_id=0, username="cli", role="admin")


@public_property.command("close")
@click.option("--year", type=int, required=True)
@click.option("--province", default=None, help="Province code; without it and --commune: every commune")
@click.option("--commune", default=None, help="One commune code")
def public_property_close(year: int, province: str | None, commune: str | None) -> None:
    """Close a year: write each commune's wear rows once (closed communes are left as they are)."""
    from procurement.core.errors import DomainError
    from procurement.core.money import format_vnd
    from procurement.public_property import service

    async def go():
        return await service.close_year(_national_actor(), year, commune, province)

    try:
        result = run(go())
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(
        f"năm {year}: khóa sổ {len(result.closed)} xã, {result.devices} tài sản, hao mòn {format_vnd(result.wear_vnd)}; "
        f"{len(result.already_closed)} xã đã khóa trước đó"
    )


@public_property.command("papers")
@click.option("--year", type=int, required=True)
@click.option("--province", required=True, help="Province code")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Folder to write into")
@click.option("--xlsx/--no-xlsx", default=True, show_default=True, help="Also the books as XLSX")
def public_property_papers(year: int, province: str, out_dir: str, xlsx: bool) -> None:
    """Every commune's fixed-asset book of a province (PDF, XLSX) and the province's yearly summary."""
    import os
    from pathlib import Path

    from procurement.core.errors import DomainError
    from procurement.public_property import papers, service
    from procurement.public_property.forms import FormCodes

    forms = FormCodes.from_env(os.environ)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)

    async def go() -> int:
        actor = _national_actor()
        service.check_year(year)
        communes = await service.commune_scope(actor, province=province)
        written = 0
        with click.progressbar(communes, label=f"sổ TSCĐ {province}/{year}", file=sys.stderr) as bar:
            for commune in bar:
                book = await service.book_for([commune], year)
                content = await asyncio.to_thread(papers.book_pdf, book, forms)
                (folder / f"so-tscd-{commune.code}-{year}.pdf").write_bytes(content)
                written += 1
                if xlsx:
                    (folder / f"so-tscd-{commune.code}-{year}.xlsx").write_bytes(papers.book_xlsx(book, forms))
                    written += 1
        summary = await service.summary(actor, year, province=province, by_commune=True)
        unit = communes[0].province_name if communes else province
        (folder / f"tong-hop-tscd-{province}-{year}.xlsx").write_bytes(
            papers.summary_xlsx(summary, year, forms, scope=unit)
        )
        (folder / f"tong-hop-tscd-{province}-{year}.pdf").write_bytes(papers.summary_pdf(summary, year, unit, forms))
        return written + 2

    try:
        count = run(go())
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{count} tệp trong {folder}")
