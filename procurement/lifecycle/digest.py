"""The daily summary of reminders: as text, and as an e-mail through an SMTP server."""

from __future__ import annotations

import smtplib
from collections import defaultdict
from dataclasses import dataclass
from email.message import EmailMessage

from procurement.core.clock import today_vn
from procurement.lifecycle.schemas import Reminder


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int = 25
    sender: str = "noreply@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False


def summary_text(reminders: list[Reminder]) -> str:
    """The reminders grouped by kind, one line each: what a person reads in the morning."""
    today = today_vn()
    if not reminders:
        return f"Tóm tắt việc cần làm ngày {today:%d/%m/%Y}: không có việc nào.\n"
    by_kind: dict[str, list[Reminder]] = defaultdict(list)
    for item in reminders:
        by_kind[item.kind_vi].append(item)
    lines = [f"Tóm tắt việc cần làm ngày {today:%d/%m/%Y}: {len(reminders)} việc.", ""]
    for kind, items in by_kind.items():
        lines.append(f"{kind} ({len(items)}):")
        for item in items:
            device = f"{item.tag} " if item.tag else ""
            lines.append(f"  - {item.commune_name}: {device}{item.detail}")
        lines.append("")
    return "\n".join(lines)


def send_summary(server: SmtpServer, recipients: list[str], reminders: list[Reminder]) -> None:
    message = EmailMessage()
    message["Subject"] = f"Thiết bị cần chú ý ngày {today_vn():%d/%m/%Y}: {len(reminders)} việc"
    message["From"] = server.sender
    message["To"] = ", ".join(recipients)
    # quoted-printable: survives any relay, whatever it says of 8-bit mail
    message.set_content(summary_text(reminders), cte="quoted-printable")
    with smtplib.SMTP(server.host, server.port, timeout=30) as smtp:
        if server.starttls:
            smtp.starttls()
        if server.username:
            smtp.login(server.username, server.password or "")
        smtp.send_message(message)
