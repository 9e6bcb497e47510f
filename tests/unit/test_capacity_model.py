"""infra/capacity/model.py: the arithmetic on a tiny hand-computed case, the calendar, and the page."""

from __future__ import annotations

import pytest

from infra.capacity import inputs
from infra.capacity.model import LINES, daily_shares, model, month_cost, month_usage, monthly_shares, peak_load
from infra.site_generators.capacity import page_markdown

#: Round numbers, so every figure below is computed by hand in its comment.
VALUES = {
    "reupload_share": 0.5, "api_requests_per_member": 10, "api_request_seconds": 0.1, "api_memory_gb": 0.5,
    "import_rows_per_second": 50, "worker_memory_gb": 1.0, "archive_check_seconds": 0.2,
    "import_write_units_per_row": 5, "archive_write_units": 20, "figures_write_units": 10,
    "import_read_units_per_row": 0.5, "api_read_units_per_request": 4, "stored_bytes_per_member": 5000,
    "archive_bytes": 1e6, "archive_views_per_member": 2, "mails_per_member": 2, "page_loads_per_member": 5,
    "page_bytes": 1000, "cold_page_share": 0.5, "page_assets_bytes": 2000, "api_response_bytes": 500,
    "entries_per_active_admin": 10, "log_bytes_per_invocation": 1000, "alarms": 2,
    "deadline_window_days": 14, "deadline_window_share": 0.5, "working_hours_per_day": 1,
}
ONE = {name: 1.0 for name in inputs.PRICES}


def v(name: str) -> float:
    return VALUES[name]


def test_one_month_by_hand() -> None:
    u = month_usage(100, 300, v)
    assert u["api_requests"] == 1000  # 100 × 10
    assert u["lambda_requests"] == 1180  # 1000 API + 150 uploads (100 × 1.5) + 30 stream batches (100 × 3 ÷ 10)
    # API 1000 × 0.1 s × 0.5 GB = 50; import 100 ÷ 50 rows/s × 1 GB = 2; checks 150 × 0.2 × 1 = 30;
    # stream 30 × 0.1 × 0.5 = 1.5
    assert u["lambda_gb_seconds"] == pytest.approx(83.5)
    assert u["dynamodb_wru"] == 3500  # 100 × (5 + 20 + 10)
    assert u["dynamodb_rru"] == 4050  # 100 × 0.5 + 1000 × 4
    assert u["dynamodb_stored_gb"] == pytest.approx(0.0015)  # 300 members × 5,000 B
    assert u["s3_new_gb"] == pytest.approx(0.15)  # 150 uploads × 1 MB
    assert u["s3_stored_gb"] == pytest.approx(0.45)  # 300 members × 1.5 versions × 1 MB
    assert (u["s3_put"], u["s3_get"]) == (300, 350)  # 150 × 2; 150 + 100 × 2
    assert u["s3_transfer_gb"] == pytest.approx(0.2)  # 100 × 2 views × 1 MB
    assert (u["ses_mails"], u["sqs_requests"], u["cognito_mau"]) == (200, 450, 10)
    assert u["cloudfront_gb"] == pytest.approx(0.0015)  # 500 loads × (1000 + 0.5 × 2000) + 1000 × 500 B
    assert u["cloudfront_requests"] == 3000  # 500 × (1 + 0.5 × 6) + 1000
    assert u["log_gb"] == pytest.approx(0.00118)  # 1180 invocations × 1 KB

    cost = month_cost(u, lambda k: ONE[k], alarms=2, free_mau=4)
    assert cost["api"] == 1000
    assert cost["lambda"] == pytest.approx(1180 + 83.5)
    assert cost["dynamodb"] == pytest.approx(3500 + 4050 + 0.0015 * 2)  # storage and PITR
    assert cost["s3"] == pytest.approx(0.45 + 300 + 350 + 0.2)
    assert cost["cognito"] == 6  # 10 active, 4 free
    assert cost["cloudwatch"] == pytest.approx(2 + 1 + 0.00118)  # 2 alarms, the dashboard, the logs
    assert set(cost) == {key for key, _ in LINES}


def test_the_peak_hour_by_hand() -> None:
    # 201,600 a year: half by 6月30日, 50 % of it in 14 days → 3,600 a day, in one working hour → 1 a second
    peak = peak_load(201_600, v)
    assert peak["entries_per_day"] == pytest.approx(3600)
    assert peak["rows_per_second"] == pytest.approx(1.0)
    assert peak["worker_instances"] == pytest.approx(1 / 50 + 1.5 * 0.2)
    assert peak["write_units_per_second"] == pytest.approx(35)
    assert peak["upload_megabytes_per_second"] == pytest.approx(1.5)


def test_the_calendar_follows_the_two_deadlines() -> None:
    shares = daily_shares(14, 0.4)
    assert sum(shares.values()) == pytest.approx(1)
    assert max(shares).isoformat() == "2023-12-10"  # nothing after 12月10日
    months = monthly_shares(14, 0.4)
    assert sum(months[:6]) == pytest.approx(0.5)
    # June: the whole window (0.5 × 0.4) and 16 of the half-year's 167 other days
    assert months[5] == pytest.approx(0.5 * 0.4 + 0.5 * 0.6 * 16 / 167)
    assert months[0] == pytest.approx(0.5 * 0.6 * 31 / 167)
    assert len(months) == 12 and months[11] > months[6]  # December holds 10 of the window's 14 days


def test_a_year_accumulates_storage() -> None:
    result = model("test", 201_600, values=VALUES, prices=ONE, free_mau=0)
    assert sum(m.entries for m in result.months) == pytest.approx(201_600)
    stored = result.months[-1].usage["s3_stored_gb"]
    assert stored == pytest.approx(201_600 * 1.5 * 1e6 / 1e9)
    assert result.total == pytest.approx(sum(m.total for m in result.months))
    assert result.peak_month.month == 6


def test_the_template_has_as_many_alarms_as_the_model_pays_for() -> None:
    from infra.local.template import load_template, resources_of_type

    assert len(resources_of_type(load_template(), "AWS::CloudWatch::Alarm")) == inputs.value("alarms")


def test_every_input_names_its_source() -> None:
    for name, item in inputs.INPUTS.items():
        assert item.source and item.unit, name
        assert item.kind in ("measured", "derived", "assumed"), name


def test_the_page_shows_both_scenarios_the_prices_and_their_date() -> None:
    from infra.capacity.model import scenarios

    page = page_markdown(scenarios())
    assert "## 江苏省：每年 182,000 名新团员" in page and "## 全国：每年 4,500,000 名新团员" in page
    assert inputs.PRICES_AS_OF in page and inputs.PRICE_REGION in page
    assert "`import_write_units_per_row`" in page and "实测" in page and "假设" in page
