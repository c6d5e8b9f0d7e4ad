"""Disbursement reports from the database: read the five input frames of
:mod:`procurement.finance.disbursement` (one plain SQL query each, only the columns the
reports need), run a report, and write it as JSON, CSV or XLSX.

The reports themselves stay pure (LazyFrame → LazyFrame); this module is the
edge that fetches rows and collects.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import polars as pl

from models.procurement import BudgetLine
from procurement.core.actor import Actor
from procurement.core.clock import today_vn
from procurement.core.heavy import run_heavy
from procurement.core.transactions import is_sqlite, read_frame, sqlite_frame
from procurement.core.xlsx import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Column, Kind, scope_text, write_csv, write_xlsx
from procurement.finance import disbursement
from procurement.finance.budget import FINANCE_READERS, check_line
from procurement.seed.synthetic_money import CENTRAL_NAME


class Report(StrEnum):
    by_line = "by_line"
    by_commune = "by_commune"
    by_month = "by_month"
    lagging = "lagging"
    provinces = "provinces"


class Format(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


REPORTS = {
    Report.by_line: (disbursement.progress_by_line, "Theo dòng NS"),
    Report.by_commune: (disbursement.progress_by_commune, "Theo xã"),
    Report.by_month: (disbursement.progress_by_month, "Theo tháng"),
    Report.lagging: (disbursement.lagging_communes, "Xã chậm giải ngân"),
    Report.provinces: (disbursement.province_summary, "Theo tỉnh"),
}

MEDIA_TYPES = {
    Format.json: "application/json",
    Format.csv: CSV_MEDIA_TYPE,
    Format.xlsx: XLSX_MEDIA_TYPE,
}

_PROVINCE = " WHERE p.code = {}"

# A contract's commitments as dated rows, with the contract's own columns (id, allocation,
# line, value_vnd, signed_on): one row per contract at its signed value on its signing day
# (the current value less every amendment's change), and one row per amendment at its change
# (+ or −) on the amendment's day. Summed up to a day they give what was committed that day;
# all of a contract's rows give its current value (contract.value_vnd).
_CONTRACT_ROWS = (
    "(SELECT k.id AS id, k.allocation AS allocation, k.line AS line,"
    " k.value_vnd - COALESCE(d.change_vnd, 0) AS value_vnd, k.signed_on AS signed_on"
    " FROM contract k LEFT JOIN (SELECT m.contract AS contract, CAST(sum(m.value_change_vnd) AS BIGINT) AS change_vnd"
    " FROM contract_amendment m GROUP BY m.contract) d ON d.contract = k.id"
    " UNION ALL SELECT k.id, k.allocation, k.line, m.value_change_vnd, m.signed_on"
    " FROM contract_amendment m JOIN contract k ON k.id = m.contract)"
)
_QUERIES = {
    "lines": (
        "SELECT l.id AS line_id, l.parent AS parent_id, l.number AS number, l.name AS name,"
        " l.decision_date AS decision_date, l.fiscal_year AS fiscal_year, l.amount_vnd AS amount_vnd,"
        " l.deadline AS deadline, p.code AS province_code"
        " FROM budget_line l JOIN province p ON p.id = l.province",
        disbursement.LINES_SCHEMA,
    ),
    "milestones": (
        "SELECT m.line AS line_id, m.due_on AS due_on, m.target_share AS target_share"
        " FROM budget_milestone m JOIN budget_line l ON l.id = m.line JOIN province p ON p.id = l.province",
        disbursement.MILESTONES_SCHEMA,
    ),
    "allocations": (
        "SELECT a.id AS allocation_id, a.line AS line_id, c.code AS commune_code,"
        f" COALESCE(c.name, '{CENTRAL_NAME}') AS commune_name, a.amount_vnd AS amount_vnd"
        " FROM allocation a LEFT JOIN commune c ON c.id = a.commune"
        " JOIN budget_line l ON l.id = a.line JOIN province p ON p.id = l.province",
        disbursement.ALLOCATIONS_SCHEMA,
    ),
    "contracts": (
        "SELECT k.id AS contract_id, k.allocation AS allocation_id, k.line AS line_id, c.code AS commune_code,"
        " k.value_vnd AS value_vnd, k.signed_on AS signed_on"
        f" FROM {_CONTRACT_ROWS} k LEFT JOIN allocation a ON a.id = k.allocation LEFT JOIN commune c ON c.id = a.commune"
        " JOIN budget_line l ON l.id = k.line JOIN province p ON p.id = l.province",
        disbursement.CONTRACTS_SCHEMA,
    ),
    "payments": (
        "SELECT x.id AS payment_id, x.contract AS contract_id, x.allocation AS allocation_id, x.line AS line_id,"
        " c.code AS commune_code, x.amount_vnd AS amount_vnd, x.paid_on AS paid_on"
        " FROM payment x LEFT JOIN allocation a ON a.id = x.allocation LEFT JOIN commune c ON c.id = a.commune"
        " JOIN budget_line l ON l.id = x.line JOIN province p ON p.id = l.province",
        disbursement.PAYMENTS_SCHEMA,
    ),
}


def _with_args(sql: str, province: str | None, group_by: str = "", group_args: tuple = ()) -> tuple[str, list]:
    """The query with its province filter and grouping, ``{}`` marking each argument."""
    args: list = []
    if province:
        sql += _PROVINCE
        args.append(province)
    return sql + group_by, args + list(group_args)


async def _fetch_all(queries: list[tuple[str, list, dict[str, pl.DataType]]]) -> list[pl.DataFrame]:
    """The queries' rows as frames: on SQLite all in one worker thread (one hop off the
    loop), on PostgreSQL each by ``COPY … TO STDOUT`` (see :func:`read_frame`)."""
    if is_sqlite():
        path = BudgetLine._meta.db.path  # type: ignore[attr-defined]
        return await run_heavy(
            lambda: [sqlite_frame(path, sql.replace("{}", "?"), args, schema) for sql, args, schema in queries]
        )
    frames = []
    for sql, args, schema in queries:
        numbered = sql.split("{}")
        sql = numbered[0] + "".join(f"${n}{part}" for n, part in enumerate(numbered[1:], start=1))
        frames.append(await read_frame((sql, args), schema))
    return frames


async def load_frames(province: str | None = None, *, actor: Actor | None = None) -> tuple[pl.LazyFrame, ...]:
    """(lines, milestones, allocations, contracts, payments) as LazyFrames, in report order.
    With ``actor``: ``province`` None means the actor's province (see ``Actor.report_province``)."""
    if actor is not None:
        actor.require(*FINANCE_READERS)
        province = actor.report_province(province)
    frames = await _fetch_all([(*_with_args(sql, province), schema) for sql, schema in _QUERIES.values()])
    return tuple(frame.lazy() for frame in frames)


# What each report needs of a contract or payment beyond its line: its commune,
# its month. Rows agreeing on these (on whether they fall after the report date,
# and on whether they have a contract, an allocation) are summed in SQL, so the
# database hands over a few thousand sums instead of 130,000 rows; their date is the group's latest, which puts them in
# the same month and on the same side of "as of today" as every row they sum.
# Reports that count contracts (by commune, lagging, provinces) read the contract
# rows as they are (signings and amendments, counted by distinct contract id);
# their payments are still summed.
_GRAIN = {
    Report.by_line: (False, False),
    Report.by_month: (False, True),
    Report.by_commune: (True, False),
    Report.lagging: (True, False),
    Report.provinces: (True, False),
}


def _summed(table: str, by_commune: bool, by_month: bool, postgres: bool, province: str | None) -> tuple[str, str]:
    """(SELECT … FROM …, GROUP BY …) of contracts or payments summed at a report's grain.

    A summed row stands for several: its own id is null. Its rows agree on whether
    they have a contract and whether they have an allocation, so the by-line report
    can tell what is charged straight to the line (:class:`~procurement.finance.rules.LineCharges`:
    contracts without allocation, payments with neither); its contract_id /
    allocation_id is null exactly when none of its rows has one (else the smallest).
    """
    if table == "payments":
        alias, day, money = "x", "paid_on", "amount_vnd"
        ids = f"NULL AS payment_id, min({alias}.contract) AS contract_id"
        links = [f"({alias}.contract IS NULL)", f"({alias}.allocation IS NULL)"]
    else:
        alias, day, money = "k", "signed_on", "value_vnd"
        ids = "NULL AS contract_id"
        links = [f"({alias}.allocation IS NULL)"]
    commune = "c.code" if by_commune else "NULL"
    joins = (
        f" LEFT JOIN allocation a ON a.id = {alias}.allocation LEFT JOIN commune c ON c.id = a.commune"
        if by_commune
        else ""
    )
    month = f"date_trunc('month', {alias}.{day})" if postgres else f"substr({alias}.{day}, 1, 7)"
    select = (
        f"SELECT {ids}, min({alias}.allocation) AS allocation_id, {alias}.line AS line_id,"
        f" {commune} AS commune_code, sum({alias}.{money}) AS {money}, max({alias}.{day}) AS {day}"
        f" FROM {'payment' if table == 'payments' else _CONTRACT_ROWS} {alias}{joins}"
        # The line's province only to filter by it (every row has a line, every line a province).
        + (f" JOIN budget_line l ON l.id = {alias}.line JOIN province p ON p.id = l.province" if province else "")
    )
    keys = [f"{alias}.line", *links] + ([commune] if by_commune else []) + ([month] if by_month else [])
    after = f"{alias}.{day} <= {{}}::date" if postgres else f"{alias}.{day} <= {{}}"
    return select, f" GROUP BY {', '.join(keys)}, ({after})"


async def load_report_frames(report: Report, today: dt.date, province: str | None = None) -> tuple[pl.LazyFrame, ...]:
    """The five input frames of ``report``, contracts and payments summed in SQL at its grain.

    Every report gives the same answer from these as from :func:`load_frames`.
    """
    by_commune, by_month = _GRAIN[report]
    postgres = not is_sqlite()
    queries: list[tuple[str, list, dict[str, pl.DataType]]] = []
    for name, (sql, schema) in _QUERIES.items():
        if name == "allocations" and report == Report.by_month:
            # The monthly report takes allocations for a uniform signature only: read none.
            queries.append((sql + " WHERE 1 = 0", [], schema))
        elif name == "payments" or (name == "contracts" and not by_commune):
            select, group_by = _summed(name, by_commune, by_month, postgres, province)
            day = today if postgres else today.isoformat()  # asyncpg takes a date for ::date
            queries.append((*_with_args(select, province, group_by, (day,)), schema))
        else:
            queries.append((*_with_args(sql, province), schema))
    return tuple(frame.lazy() for frame in await _fetch_all(queries))


async def run_report(
    report: Report,
    *,
    actor: Actor,
    today: dt.date | None = None,
    province: str | None = None,
    line_id: int | None = None,
) -> pl.DataFrame:
    """``province`` None: the actor's province (national accounts: the country); another
    province than the actor's answers 404, and so does a line of another province."""
    actor.require(*FINANCE_READERS)
    province = actor.report_province(province)
    if line_id is not None:
        await check_line(actor, line_id)
    function, _ = REPORTS[report]
    today = today or today_vn()
    frames = await load_report_frames(report, today, province)
    result = function(*frames, today=today)
    if line_id is not None and report != Report.provinces:
        result = result.filter(pl.col("line_id") == line_id)
    return await run_heavy(result.collect)


# Spreadsheets are for people: Vietnamese headers (JSON keeps the column names).
HEADERS_VI = {
    "line_id": "Mã dòng NS",
    "parent_id": "Thuộc dòng NS",
    "province_code": "Mã tỉnh",
    "number": "Số hiệu",
    "name": "Tên",
    "fiscal_year": "Năm ngân sách",
    "decision_date": "Ngày quyết định",
    "deadline": "Hạn giải ngân",
    "amount_vnd": "Dự toán",
    "allocated_vnd": "Đã phân bổ",
    "committed_vnd": "Đã ký hợp đồng",
    "paid_vnd": "Đã giải ngân",
    "remaining_vnd": "Còn lại",
    "unallocated_vnd": "Chưa phân bổ",
    "uncharged_vnd": "Còn trống",
    "share_paid": "Tỷ lệ giải ngân",
    "scheduled_share": "Tỷ lệ theo kế hoạch",
    "scheduled_vnd": "Kế hoạch đến nay",
    "schedule_gap_vnd": "Chênh lệch so với kế hoạch",
    "days_to_deadline": "Số ngày đến hạn",
    "commune_code": "Mã xã",
    "commune_name": "Xã/phường",
    "is_central": "Mua sắm tập trung",
    "contracts": "Số hợp đồng",
    "last_paid_on": "Lần giải ngân gần nhất",
    "behind_vnd": "Chậm so với kế hoạch",
    "month": "Tháng",
    "cumulative_committed_vnd": "Lũy kế đã ký",
    "cumulative_paid_vnd": "Lũy kế đã giải ngân",
    "scheduled_cumulative_vnd": "Lũy kế kế hoạch",
    "rank": "Thứ hạng",
    "reason_vi": "Lý do",
    "lines": "Số dòng NS",
    "sub_lines": "Số dòng con",
    "communes": "Số xã",
    "communes_behind": "Số xã chậm",
}


def columns_for(frame: pl.DataFrame) -> list[Column]:
    """Every column of a report, with its Vietnamese header and cell kind."""
    columns = []
    for name, dtype in frame.schema.items():
        kind: Kind
        if name.endswith("_vnd"):
            kind = "money"
        elif "share" in name:
            kind = "share"
        elif dtype == pl.Date:
            kind = "date"
        elif dtype.is_integer():
            kind = "int"
        elif dtype.is_float():
            kind = "number"
        else:
            kind = "text"
        columns.append(Column(name, HEADERS_VI.get(name, name), kind))
    return columns


def encode(
    frame: pl.DataFrame,
    fmt: Format,
    sheet: str,
    *,
    as_of: dt.date | None = None,
    province: str | None = None,
) -> bytes:
    """The collected report as bytes of the chosen format. JSON money stays whole integers.

    The XLSX title names the report, the province (or the whole country) and the report date.
    """
    if fmt == Format.json:
        return frame.write_json().encode()
    if fmt == Format.csv:
        return write_csv(frame, columns_for(frame))
    return write_xlsx(
        frame,
        columns_for(frame),
        sheet_name=sheet,
        title=f"Tiến độ giải ngân — {sheet[:1].lower()}{sheet[1:]}",
        scope=scope_text(province),
        as_of=as_of,
    )


def filename(report: Report, fmt: Format, today: dt.date) -> str:
    return f"giai-ngan-{report.value.replace('_', '-')}-{today.isoformat()}.{fmt.value}"
