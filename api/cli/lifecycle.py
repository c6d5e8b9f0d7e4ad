"""A device's life from the command line: the daily summary of reminders."""

from __future__ import annotations

import os

import click

from api.cli import actor_named, main, run


@main.command()
@click.option("--province", default=None, help="Province code (default: every province the user sees)")
@click.option("--within-days", default=30, show_default=True, help="Warranties ending within this many days")
@click.option("--as-user", "username", default=None, help="Whose view (staff: their commune); default: admin")
@click.option("--email", "recipients", multiple=True, help="Send the summary to this address (repeatable)")
def reminders(province: str | None, within_days: int, username: str | None, recipients: tuple[str, ...]) -> None:
    """Print the daily summary of what needs attention, or e-mail it through SMTP_HOST."""
    from procurement.lifecycle import service
    from procurement.lifecycle.digest import SmtpServer, send_summary, summary_text

    async def go():
        return await service.reminders(await actor_named(username), within_days, province)

    found = run(go())
    if not recipients:
        click.echo(summary_text(found))
        return
    host = os.environ.get("SMTP_HOST")
    if not host:
        raise click.ClickException("SMTP_HOST is not set: say which mail server sends the summary")
    server = SmtpServer(
        host=host,
        port=int(os.environ.get("SMTP_PORT", "25")),
        sender=os.environ.get("SMTP_FROM", "noreply@localhost"),
        username=os.environ.get("SMTP_USERNAME") or None,
        password=os.environ.get("SMTP_PASSWORD") or None,
        starttls=os.environ.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
    )
    try:
        send_summary(server, list(recipients), found)
    except OSError as error:
        raise click.ClickException(f"could not send the summary through {host}: {error}") from None
    click.echo(f"{len(found)} reminders sent to {', '.join(recipients)}")
