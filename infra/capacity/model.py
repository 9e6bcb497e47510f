"""The capacity and cost model: what a year of new members costs on AWS, month by month.

    make capacity                        # prints both scenarios (.venv/bin/python -m infra.capacity.model)
    python -m infra.capacity.model --measure-site build/site   # the page-weight inputs, measured

Every input is in :mod:`infra.capacity.inputs` with its source; this module only does the
arithmetic, so a unit test can check it on a hand-computed case (``tests/unit/test_capacity_model.py``)
and the site page 容量与费用估算 (``infra/site_generators/capacity.py``) shows the same figures.

The year: entries follow the notice's two milestones (§三.2): half of the year's members are due by
6月30日, the rest by 12月10日. Within each half, ``deadline_window_share`` of its entries land in the
``deadline_window_days`` before its deadline and the rest spread evenly over its other days; nothing
is entered after 12月10日. Storage accumulates: the archives of every year are kept (versioning,
every version), so the S3 and DynamoDB storage lines grow by the same amount every further year.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from infra.capacity import inputs as default_inputs

YEAR = 2023  # any non-leap year: only the calendar's shape matters
GB = 1e9

#: The cost lines, in the order the page shows them: (key, name).
LINES: tuple[tuple[str, str], ...] = (
    ("api", "API Gateway（HTTP API 请求）"),
    ("lambda", "Lambda（请求 + GB-s）"),
    ("dynamodb", "DynamoDB（按需读写 + 存储 + PITR）"),
    ("s3", "S3（存储增长 + 请求 + 下载流量）"),
    ("ses", "SES（邮件）"),
    ("cloudfront", "CloudFront（流量 + 请求）"),
    ("sqs", "SQS"),
    ("cognito", "Cognito（月活管理员）"),
    ("cloudwatch", "CloudWatch（告警、仪表板、日志）"),
)


@dataclass
class Month:
    """Usage and cost of one calendar month."""

    month: int
    entries: float
    usage: dict[str, float] = field(default_factory=dict)
    cost: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.cost.values())


@dataclass
class Result:
    scenario: str
    members: int
    months: list[Month]
    peak: dict[str, float]

    @property
    def total(self) -> float:
        return sum(m.total for m in self.months)

    def yearly(self, key: str) -> float:
        return sum(m.cost.get(key, 0.0) for m in self.months)

    def yearly_usage(self, key: str) -> float:
        return sum(m.usage.get(key, 0.0) for m in self.months)

    @property
    def peak_month(self) -> Month:
        return max(self.months, key=lambda m: m.total)


def daily_shares(window_days: int, window_share: float, year: int = YEAR) -> dict[date, float]:
    """The share of the year's entries on each day (sums to 1)."""
    halves = ((date(year, 1, 1), date(year, 6, 30)), (date(year, 7, 1), date(year, 12, 10)))
    shares: dict[date, float] = {}
    for first, deadline in halves:
        days = [first + timedelta(n) for n in range((deadline - first).days + 1)]
        window, rest = days[-window_days:], days[:-window_days]
        for day in window:
            shares[day] = 0.5 * window_share / len(window)
        for day in rest:
            shares[day] = 0.5 * (1 - window_share) / len(rest)
    return shares


def monthly_shares(window_days: int, window_share: float) -> list[float]:
    months = [0.0] * 12
    for day, share in daily_shares(window_days, window_share).items():
        months[day.month - 1] += share
    return months


def write_units_per_member(v: Callable[[str], float]) -> float:
    """Its import row, its archive's way to a decision, the figures consumer's counters."""
    return v("import_write_units_per_row") + v("archive_write_units") + v("figures_write_units")


def month_usage(entries: float, stored_members: float, v: Callable[[str], float]) -> dict[str, float]:
    """What ``entries`` new members use in their month; ``stored_members`` are all members entered
    so far (this month's included), whose archives and items are stored this month."""
    uploads = entries * (1 + v("reupload_share"))
    api_requests = entries * v("api_requests_per_member")
    stream_invocations = entries * 3 / 10  # 3 member-item changes, 10 records a batch (see inputs)
    lambda_requests = api_requests + uploads + stream_invocations
    gb_seconds = (api_requests * v("api_request_seconds") * v("api_memory_gb")
                  + entries / v("import_rows_per_second") * v("worker_memory_gb")
                  + uploads * v("archive_check_seconds") * v("worker_memory_gb")
                  + stream_invocations * v("api_request_seconds") * v("api_memory_gb"))
    page_loads = entries * v("page_loads_per_member")
    return {
        "api_requests": api_requests,
        "lambda_requests": lambda_requests,
        "lambda_gb_seconds": gb_seconds,
        "dynamodb_wru": entries * write_units_per_member(v),
        "dynamodb_rru": entries * v("import_read_units_per_row") + api_requests * v("api_read_units_per_request"),
        "dynamodb_stored_gb": stored_members * v("stored_bytes_per_member") / GB,
        "s3_new_gb": uploads * v("archive_bytes") / GB,
        "s3_stored_gb": stored_members * (1 + v("reupload_share")) * v("archive_bytes") / GB,
        "s3_put": uploads * 2,  # the browser's POST, the worker's copy under archives/
        "s3_get": uploads + entries * v("archive_views_per_member"),
        "s3_transfer_gb": entries * v("archive_views_per_member") * v("archive_bytes") / GB,
        "ses_mails": entries * v("mails_per_member"),
        "sqs_requests": uploads * 3,  # S3's send, the poller's receive, the delete
        "cloudfront_gb": (page_loads * (v("page_bytes") + v("cold_page_share") * v("page_assets_bytes"))
                          + api_requests * v("api_response_bytes")) / GB,
        "cloudfront_requests": page_loads * (1 + v("cold_page_share") * 6) + api_requests,
        "cognito_mau": entries / v("entries_per_active_admin"),
        "log_gb": lambda_requests * v("log_bytes_per_invocation") / GB,
    }


def month_cost(u: Mapping[str, float], p: Callable[[str], float], alarms: float, free_mau: float) -> dict[str, float]:
    return {
        "api": u["api_requests"] * p("http_api_request"),
        "lambda": u["lambda_requests"] * p("lambda_request") + u["lambda_gb_seconds"] * p("lambda_gb_second"),
        "dynamodb": (u["dynamodb_wru"] * p("dynamodb_wru") + u["dynamodb_rru"] * p("dynamodb_rru")
                     + u["dynamodb_stored_gb"] * (p("dynamodb_gb_month") + p("dynamodb_pitr_gb_month"))),
        "s3": (u["s3_stored_gb"] * p("s3_gb_month") + u["s3_put"] * p("s3_put") + u["s3_get"] * p("s3_get")
               + u["s3_transfer_gb"] * p("s3_transfer_gb")),
        "ses": u["ses_mails"] * p("ses_mail"),
        "cloudfront": u["cloudfront_gb"] * p("cloudfront_gb") + u["cloudfront_requests"] * p("cloudfront_request"),
        "sqs": u["sqs_requests"] * p("sqs_request"),
        "cognito": max(0.0, u["cognito_mau"] - free_mau) * p("cognito_mau"),
        "cloudwatch": (alarms * p("cloudwatch_alarm_month") + p("cloudwatch_dashboard_month")
                       + u["log_gb"] * p("cloudwatch_logs_gb")),
    }


def peak_load(members: int, v: Callable[[str], float]) -> dict[str, float]:
    """The busiest hour: a deadline window's day, its entries within the working hours."""
    day = members * 0.5 * v("deadline_window_share") / v("deadline_window_days")
    rows_per_second = day / (v("working_hours_per_day") * 3600)
    uploads_per_second = rows_per_second * (1 + v("reupload_share"))
    busy = rows_per_second / v("import_rows_per_second") + uploads_per_second * v("archive_check_seconds")
    return {
        "entries_per_day": day,
        "rows_per_second": rows_per_second,
        "worker_instances": busy,
        "write_units_per_second": rows_per_second * write_units_per_member(v),
        "api_requests_per_second": rows_per_second * v("api_requests_per_member"),
        "upload_megabytes_per_second": uploads_per_second * v("archive_bytes") / 1e6,
    }


def model(scenario: str, members: int, *, values: Mapping[str, float] | None = None,
          prices: Mapping[str, float] | None = None, free_mau: float | None = None) -> Result:
    """One scenario's year. ``values`` / ``prices`` replace inputs (the test's hand-computed case)."""
    v = (lambda k: values[k]) if values is not None else default_inputs.value
    p = (lambda k: prices[k]) if prices is not None else default_inputs.price
    free = default_inputs.COGNITO_FREE_MAU if free_mau is None else free_mau
    months: list[Month] = []
    stored = 0.0
    for number, share in enumerate(monthly_shares(int(v("deadline_window_days")), v("deadline_window_share")), 1):
        entries = members * share
        stored += entries
        usage = month_usage(entries, stored, v)
        months.append(Month(number, entries, usage, month_cost(usage, p, v("alarms"), free)))
    return Result(scenario, members, months, peak_load(members, v))


def scenarios() -> list[Result]:
    return [model(name, members) for name, (members, _source) in default_inputs.SCENARIOS.items()]


def measure_site(site_dir: Path) -> dict[str, float]:
    """The page-weight inputs from a built site: median gzip size of the console pages and the
    CSS and JS that console/index.html loads."""
    pages = sorted(site_dir.glob("console/*.html"))
    if not pages:
        raise SystemExit(f"{site_dir}: no console pages (build the site first)")
    index = (site_dir / "console" / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|href)="([^"#?]+\.(?:js|css))', index)
    assets = {(site_dir / "console" / ref).resolve() for ref in refs}
    return {
        "page_bytes": statistics.median(len(gzip.compress(p.read_bytes(), 6)) for p in pages),
        "page_assets_bytes": sum(len(gzip.compress(a.read_bytes(), 6)) for a in assets if a.is_file()),
    }


def usd(amount: float) -> str:
    return f"{amount:,.2f}"


def summary(result: Result) -> str:
    peak = result.peak_month
    average = result.total / 12
    return (f"{result.scenario}: {result.members:,} members/year: {usd(result.total)} USD/year; "
            f"average month {usd(average)} USD; peak month {peak.month}月 {usd(peak.total)} USD; "
            f"S3 grows {result.yearly_usage('s3_new_gb'):,.0f} GB/year")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.capacity.model", description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure-site", type=Path, metavar="SITE_DIR", help="print the page-weight inputs")
    args = parser.parse_args(argv)
    if args.measure_site:
        for name, measured in measure_site(args.measure_site).items():
            print(f"{name}: {measured:,.0f}")
        return 0
    print(f"prices: {default_inputs.PRICE_REGION} list prices as of {default_inputs.PRICES_AS_OF} (USD, no free "
          "tiers; check the live pricing pages)")
    for result in scenarios():
        print(summary(result))
        for key, name in LINES:
            print(f"    {name}: {usd(result.yearly(key))} USD/year")
        peak = result.peak
        print(f"    peak hour: {peak['rows_per_second']:.2f} entries/s, {peak['worker_instances']:.2f} worker "
              f"instances busy, {peak['write_units_per_second']:,.0f} WRU/s, {peak['api_requests_per_second']:.1f} "
              f"API requests/s")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
