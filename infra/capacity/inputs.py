"""Every input of the capacity and cost model, in one place, each with where it comes from.

Three kinds, and the page shows which is which:

- ``measured``: printed by a benchmark of this repository (the command is given; figures from the
  run recorded on the date below, on the 2-core development machine, against moto);
- ``derived``: computed from the design (the storage design in README and
  ``functions/zhtj/adapters/dynamodb.py``, DynamoDB's billing rules), not measured end to end;
- ``assumed``: a judgement with no measurement behind it — change it here when a real figure
  (a pilot's CloudWatch numbers) exists.

Prices: AWS list prices for **us-east-1 (N. Virginia), USD**, as known on :data:`PRICES_AS_OF`,
without free tiers or discounts. This workspace cannot browse; the CloudFront rows were checked
against a stored copy of aws.amazon.com/cloudfront/pricing, the rest are the published list prices
as known at that date and **must be checked** on the live pricing pages before budgeting. The
China regions (cn-north-1, CNY, operated by Sinnet) price differently and are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["measured", "derived", "assumed"]

MEASURED_ON: Final = "2026-12-03"
PRICES_AS_OF: Final = "2025-06-01"
PRICE_REGION: Final = "us-east-1"


@dataclass(frozen=True)
class Input:
    value: float
    unit: str
    kind: Kind
    source: str


IMPORT_BENCH = "bench/bench_import_full.py 20000 500 (CountingClient over a 20,000-row file; README 批量导入)"
SCAN_BENCH = "PYTHONPATH=functions .venv/bin/python bench/bench_scan_size.py"

INPUTS: Final[dict[str, Input]] = {
    # ---------------------------------------------------------------- measured
    "import_requests_per_row": Input(2.109, "DynamoDB requests / imported row", "measured", IMPORT_BENCH),
    "import_write_units_per_row": Input(5.22, "WRU / imported row", "measured", IMPORT_BENCH),
    "import_read_units_per_row": Input(0.0207, "RRU / imported row", "measured",
                                       IMPORT_BENCH + ": the job's read_units 413 ÷ 19,960 rows"),
    "import_rows_per_second": Input(88.0, "rows / s per worker instance", "measured",
                                    IMPORT_BENCH + " (99 in the README's run; the slower run is used)"),
    "archive_bytes": Input(10_585_195, "bytes / archive PDF", "measured",
                           SCAN_BENCH + ": median of three profiles (scanner 300 dpi 22.5 MiB, refused; "
                           "scanner 200 dpi 10.1 MiB; phone app 5.7 MiB); synthetic grain compresses worse "
                           "than paper, so real scans are likely smaller"),
    "archive_check_seconds": Input(0.061, "s / archive check", "measured", SCAN_BENCH + " (200 dpi profile)"),
    "api_request_seconds": Input(0.0132, "s / API request", "measured",
                                 "bench/bench_figures.py 1000 10000: the province's figures query, 13.2 ms "
                                 "against moto in process (DynamoDB round trips on AWS are of that order)"),
    "api_cold_start_seconds": Input(0.257, "s of CPU / cold start", "measured",
                                    "bench/bench_cold_start.py: api handler + boto3 import"),
    "page_bytes": Input(4_794, "bytes gzip / console page", "measured",
                        "median gzip size of build/site/console/*.html (infra.capacity.model --measure-site)"),
    "page_assets_bytes": Input(65_328, "bytes gzip / first load", "measured",
                               "CSS and JS that console/index.html loads, gzip (infra.capacity.model --measure-site)"),
    # ---------------------------------------------------------------- derived
    "archive_write_units": Input(22.0, "WRU / member (upload → decision)", "derived",
                                 "upload record 1; worker: archive version 1, member state 3 (item + 2 GSIs), "
                                 "pending decision 2, audit 1; decision transaction ×2: member 3, pending 2, audit 1; "
                                 "the follow-up's entry in the sweeper's list (gsi1 FOLLOWUPS) written and removed 2"),
    "figures_write_units": Input(9.6, "WRU / member", "derived",
                                 "3 member-item changes (entry, upload, decision) × (watermark 1 + 6 counters ÷ "
                                 "10 records a batch) × 2 (TransactWriteItems)"),
    "stored_bytes_per_member": Input(5_000, "bytes in DynamoDB / member", "derived",
                                     "member ≈ 1 KB ×3 (table + 2 GSIs, ALL), claim, archive version, audit entries"),
    "worker_memory_gb": Input(1.0, "GB", "derived", "template.yaml UploadWorkerFunction MemorySize 1024"),
    "api_memory_gb": Input(0.5, "GB", "derived", "template.yaml Globals MemorySize 512"),
    "alarms": Input(17, "alarms", "derived", "the AWS::CloudWatch::Alarm resources in template.yaml"),
    # ---------------------------------------------------------------- assumed
    "api_requests_per_member": Input(20, "API requests / member", "assumed",
                                     "entry or its share of an import (with polling), upload ticket, approval "
                                     "list, view and decision, figures pages"),
    "api_read_units_per_request": Input(4.0, "RRU / API request", "assumed",
                                        "the figures query reads 13 items (4 requests); a member page 2–3"),
    "api_response_bytes": Input(2_000, "bytes / API response", "assumed", "JSON answers, compressed"),
    "page_loads_per_member": Input(6, "page loads / member", "assumed", "console pages opened per member, all admins"),
    "cold_page_share": Input(0.2, "share of page loads", "assumed", "loads that fetch the CSS and JS again"),
    "reupload_share": Input(0.10, "re-uploads / member", "assumed", "认证不通过 → 替换档案; every version is kept"),
    "archive_views_per_member": Input(2, "downloads / member", "assumed",
                                      "the approver's view and one later download (presigned, straight from S3)"),
    "mails_per_member": Input(2.5, "mails / member", "assumed",
                              "approval request, outcome, a share of the daily reminder digests"),
    "entries_per_active_admin": Input(15, "members / admin active that month", "assumed",
                                      "Cognito bills monthly active users; a branch secretary enters a class"),
    "log_bytes_per_invocation": Input(1_000, "bytes / invocation", "assumed", "Powertools' structured lines"),
    "deadline_window_days": Input(14, "days", "assumed", "the two weeks before 6月30日 and before 12月10日"),
    "deadline_window_share": Input(0.40, "share of each half-year's entries", "assumed",
                                   "the notice's milestones (§三.2: 50 % by 6月30日, 100 % by 12月10日) make each "
                                   "half-year's entries due at its deadline; no measured distribution exists, so "
                                   "40 % of each half is put in its last two weeks"),
    "working_hours_per_day": Input(8, "hours", "assumed", "entries happen in office hours"),
}

#: USD, us-east-1 list prices as of PRICES_AS_OF (see the module docstring).
PRICES: Final[dict[str, tuple[float, str]]] = {
    "lambda_gb_second": (0.0000133334, "Lambda arm64, per GB-s"),
    "lambda_request": (0.20 / 1e6, "Lambda, per request"),
    "http_api_request": (1.00 / 1e6, "API Gateway HTTP API, per request (first 300 M / month)"),
    "dynamodb_wru": (0.625 / 1e6, "DynamoDB on-demand, per write request unit"),
    "dynamodb_rru": (0.125 / 1e6, "DynamoDB on-demand, per read request unit"),
    "dynamodb_gb_month": (0.25, "DynamoDB storage, per GB-month"),
    "dynamodb_pitr_gb_month": (0.20, "DynamoDB point-in-time recovery, per GB-month"),
    "s3_gb_month": (0.023, "S3 Standard, per GB-month (first 50 TB)"),
    "s3_put": (0.005 / 1000, "S3 PUT, COPY, POST, per request"),
    "s3_get": (0.0004 / 1000, "S3 GET, per request"),
    "s3_transfer_gb": (0.09, "S3 data transfer out to the internet, per GB (first 10 TB)"),
    "ses_mail": (0.10 / 1000, "SES, per outbound mail"),
    "sqs_request": (0.40 / 1e6, "SQS standard, per request"),
    "cloudfront_gb": (0.120, "CloudFront, Hong Kong/Asia edges, per GB (first 10 TB)"),
    "cloudfront_request": (0.0120 / 10_000, "CloudFront HTTPS request, Asia"),
    "cognito_mau": (0.0055, "Cognito Lite tier, per monthly active user above 10,000"),
    "cloudwatch_alarm_month": (0.10, "CloudWatch standard alarm, per month"),
    "cloudwatch_dashboard_month": (3.00, "CloudWatch dashboard, per month"),
    "cloudwatch_logs_gb": (0.50, "CloudWatch Logs ingestion, per GB"),
}

COGNITO_FREE_MAU: Final = 10_000

#: Yearly new members of each scenario, and where the figure comes from.
SCENARIOS: Final[dict[str, tuple[int, str]]] = {
    "江苏省": (182_000, "团苏组字〔2023〕2号：2023 年全省发展团员计划"),
    "全国": (4_500_000, "全国每年约 450 万名（数量级估计，不是计划数）"),
}


def value(name: str) -> float:
    return INPUTS[name].value


def price(name: str) -> float:
    return PRICES[name][0]
